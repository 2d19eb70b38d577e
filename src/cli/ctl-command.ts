// `dropbox-sync ctl pause|resume [PEER] | rescan | confirm PEER [--config DIR]`: a word to the
// client running with that config folder (the device), through its control socket (one JSON line
// each way). PEER is judged by the client, which knows its peers (see peer-match.ts).
import { Argument, type Command } from 'commander'
import { connect } from 'node:net'
import path from 'node:path'
import { defaultConfigDir } from '../main/app/headless/ui-address'
import { CONTROL_COMMANDS, controlSocketPath, type ControlReply, type ControlRequest } from '../main/engine/control/control-protocol'
import { fail, usage } from './mirror-folder-option'
import { configFolder } from './options'

/** How long the client has to answer. */
const REPLY_TIMEOUT_MS = 15_000

export function registerCtlCommand(program: Command): void {
  program
    .command('ctl')
    .description("control a running client: pause or resume it (or one peer's mirror), rescan now, confirm a held mass delete")
    .addArgument(new Argument('<command>', 'what to do').choices(CONTROL_COMMANDS))
    .argument('[peer]', "for pause, resume and confirm: the peer's device name, device ID (or its first group), mirror folder or IP:PORT")
    .option('--config <dir>', "the client's config folder, as given to its --config (default: the desktop app's settings folder)", configFolder)
    .action(async (command: ControlRequest['command'], peer: string | undefined, opts: { config?: string }) => {
      const configDir = path.resolve(opts.config ?? defaultConfigDir())
      if (command === 'confirm' && peer === undefined) usage('confirm needs the peer whose deletions to apply: dropbox-sync ctl confirm PEER')
      if (command === 'rescan' && peer !== undefined) usage('rescan takes no peer')
      if (peer !== undefined && peer.trim() === '') usage("the peer is empty: give its device name, device ID, mirror folder or IP:PORT")
      const request: ControlRequest = peer === undefined ? { command } : { command, peer: peer.trim() }
      const socketPath = controlSocketPath(configDir)
      const reply = await ask(socketPath, request).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTDIR') {
          fail(`no client is running with the config folder ${configDir} (nothing listens at ${socketPath}); name its folder with --config DIR`)
        }
        fail(`cannot reach the client at ${socketPath}: ${error.message}`)
      })
      if (!reply.ok) fail(reply.error)
      process.stdout.write(`${reply.message}\n`)
    })
}

function ask(socketPath: string, request: ControlRequest): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('the client did not answer'), { code: 'ETIMEDOUT' }))
    }, REPLY_TIMEOUT_MS)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`))
    socket.on('data', (chunk: string) => {
      text += chunk
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('end', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(text.split('\n')[0]!) as ControlReply)
      } catch {
        reject(new Error(`the client's reply is not one it would give: ${JSON.stringify(text.slice(0, 200))}`))
      }
    })
  })
}
