// `dropbox-sync ctl pause|resume [PEER] | rescan | confirm PEER`: a word to the client that runs
// with that mirror folder, through its control socket (one JSON line each way).
import { Argument, type Command } from 'commander'
import { connect } from 'node:net'
import { STATE_FOLDER } from '../main/engine/mirror/mirror-coordinator'
import { CONTROL_COMMANDS, controlSocketPath, type ControlReply, type ControlRequest } from '../main/engine/control/control-protocol'
import { fail, mirrorFolder, peerOption, usage, withMirrorFolder, type MirrorFolderOptions } from './mirror-folder-option'

/** How long the client has to answer. */
const REPLY_TIMEOUT_MS = 15_000

export function registerCtlCommand(program: Command): void {
  withMirrorFolder(
    program
      .command('ctl')
      .description('control a running client: pause or resume it (or one peer\'s mirror), rescan now, confirm a held mass delete')
      .addArgument(new Argument('<command>', 'what to do').choices(CONTROL_COMMANDS))
      .argument('[peer]', "a peer's address (IP:PORT) for pause, resume and confirm"),
  ).action(async (command: ControlRequest['command'], peer: string | undefined, opts: MirrorFolderOptions) => {
    const mirror = mirrorFolder(opts)
    if (command === 'confirm' && peer === undefined) usage('confirm needs the peer whose deletions to apply: dropbox-sync ctl confirm IP:PORT')
    if (command === 'rescan' && peer !== undefined) usage('rescan takes no peer')
    const request: ControlRequest = peer === undefined ? { command } : { command, peer: peerOption(peer) }
    const socketPath = controlSocketPath(mirror, STATE_FOLDER)
    const reply = await ask(socketPath, request).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTDIR') {
        fail(`no client is running with the mirror folder ${mirror} (nothing listens at ${socketPath})`)
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
