/**
 * Holds the terminal of an exec session nobody is attached to (`exec -d -t`,
 * or `exec -it` after the detach keys): started detached with the pty's
 * master as its stdin, it reads and drops what the process writes, so the
 * process never blocks on a full terminal nor gets a hang-up, and exits when
 * the runtime (the pty's last user) has exited. Usage: exec-pty-holder.js
 * EXEC_ID (the id only names the process for ps).
 */
import { ReadStream } from 'node:tty';

// The master is non-blocking (the CLI's node-pty set it so): only a stream
// that polls, as tty.ReadStream does, can read it.
const master = new ReadStream(0);
master.on('data', () => undefined);
// EIO once no process has the other end open any more: the session is over.
master.on('error', () => process.exit(0));
master.on('close', () => process.exit(0));
