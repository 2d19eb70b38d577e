// The window's entry. In the desktop app the preload has installed window.api (Electron IPC);
// served by the headless app there is none, so the same Api over a WebSocket is put in its place
// before anything mounts. Nothing past this point knows which it got.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import './style.css'
import App from './App.vue'
import { bridgeUrl, createWebSocketApi } from './bridge/ws-api'

if (!window.api) {
  window.api = createWebSocketApi(bridgeUrl(window.location.href))
  // The token now lives in a cookie: keep it out of the address bar, bookmarks and screenshots.
  const url = new URL(window.location.href)
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token')
    history.replaceState(null, '', url)
  }
}

createApp(App).use(createPinia()).mount('#app')
