/** What the preload exposes to the renderer as `window.api`. */
export interface Api {
  readonly platform: string
}
