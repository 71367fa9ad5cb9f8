// The operator's CLI: `npm run bedside -- <command> [args]`. Each command lives in cli/<name>.ts.
import { ConfigError, loadConfig } from '../config/load.js'
import { commands } from './cli/commands.js'

async function main (argv: string[]): Promise<number> {
  // Commands may be two words ("audit verify").
  const two = argv.slice(0, 2).join(' ')
  const [name, args] = commands[two] ? [two, argv.slice(2)] : [argv[0], argv.slice(1)]
  const command = name ? commands[name] : undefined
  if (!command) {
    process.stdout.write('Usage: npm run bedside -- <command>\n\nCommands:\n' +
      Object.entries(commands).map(([n, c]) => `  ${n.padEnd(22)} ${c.summary}`).join('\n') + '\n')
    return name ? 64 : 0
  }
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`${err.message}\n`); return 78 }
    throw err
  }
  return command.run(config, args, { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') })
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bedside: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
