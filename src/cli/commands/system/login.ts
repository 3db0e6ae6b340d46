import { InvalidArgumentError, SkiffError } from '../../../util/errors.js';
import type { CommandDefinition } from '../../command.js';
import { printText } from '../../output/print.js';
import { REGISTRY_TLS_OPTIONS } from '../../options/pull-options.js';

export const loginCommand: CommandDefinition = {
  path: ['login'],
  aliases: [],
  describe: 'Log in to a container registry',
  synopsis: '[options] REGISTRY',
  examples: [
    ['skiff login quay.io', 'prompts for the username and password'],
    ['skiff login -u alice --password-stdin 127.0.0.1:5000 < pw.txt', 'the password from standard input'],
    ['skiff login --authfile ./auth.json -u alice quay.io/alice/app', 'credentials for one repository, in another file'],
    ['skiff login --get-login quay.io', 'prints the username logged in to quay.io'],
  ],
  options: {
    username: { alias: 'u', type: 'string', describe: 'Username for the registry' },
    password: { alias: 'p', type: 'string', describe: 'Password for the registry (visible to other users: prefer --password-stdin)' },
    'password-stdin': { type: 'boolean', default: false, describe: 'Take the password from stdin' },
    'get-login': { type: 'boolean', default: false, describe: 'Print the username stored for the registry (exit 125 when not logged in)' },
    ...REGISTRY_TLS_OPTIONS,
    authfile: { type: 'string', describe: 'Path of the authentication file (default $REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)' },
  },
  positionals: { min: 1, max: 1 },
  async run(args) {
    const { loginFlow, storedLogin } = await import('../../../engine/system/login.js');
    const fromStdin = Boolean(args['password-stdin']);
    const username = args.username as string | undefined;
    let password = args.password as string | undefined;
    if (fromStdin && password !== undefined) throw new InvalidArgumentError("can't specify both --password-stdin and --password");
    if (fromStdin && !username) throw new InvalidArgumentError('must provide --username with --password-stdin');
    if (args['get-login']) {
      const stored = await storedLogin(args._[0], args.authfile as string | undefined);
      if (!stored?.username) throw new SkiffError('ENOTLOGGEDIN', `not logged into ${stored?.key ?? args._[0]}`);
      printText(`${stored.username}\n`);
      return 0;
    }
    if (fromStdin) password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
    const outcome = await loginFlow({
      registry: args._[0],
      username,
      password,
      tlsVerify: args['tls-verify'] as boolean | undefined,
      certDir: args['cert-dir'] as string | undefined,
      authFile: args.authfile as string | undefined,
    }, {
      askUsername: () => promptLine('Username: '),
      askPassword: () => promptSecret('Password: '),
      say: (line) => printText(`${line}\n`),
    });
    if (outcome === 'already') return 0;
    printText('Login Succeeded!\n');
    return 0;
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function needTerminal(what: string): never {
  throw new InvalidArgumentError(`cannot read the ${what}: stdin is not a terminal`, {
    hint: 'give -u USERNAME and --password-stdin, or run on a terminal',
  });
}

async function promptLine(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) needTerminal('username');
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a line from the terminal in raw mode, echoing nothing. */
function promptSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) needTerminal('password');
  // Echo goes off before the prompt shows: input typed (or pasted) right
  // after the prompt must never reach the screen.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let secret = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(secret);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new SkiffError('EINTERRUPTED', 'login interrupted'));
        if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1);
        else secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}
