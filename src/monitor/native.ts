/**
 * The few system calls the monitor needs and Node has no API for, through
 * the koffi FFI: becoming a child subreaper, waiting for a process we
 * adopted, receiving the container's pty over the runtime's console socket
 * (SCM_RIGHTS) and resizing it. Linux on a 64-bit ABI only (the struct
 * layouts below are LP64's).
 */
import koffi from 'koffi';
import { signalExitCode } from '../util/signals.js';
import { constants } from 'node:os';

const libc = koffi.load('libc.so.6');
const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const listen = libc.func('int listen(int fd, int backlog)');
const accept4 = libc.func('int accept4(int fd, void *addr, void *len, int flags)');
const recvmsg = libc.func('intptr_t recvmsg(int fd, void *msg, int flags)');
const close = libc.func('int close(int fd)');
const dup = libc.func('int dup(int fd)');
const ioctl = libc.func('int ioctl(int fd, unsigned long request, const void *arg)');
const strerror = libc.func('const char *strerror(int errnum)');

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const TIOCSWINSZ = 0x5414;
const EINTR = 4;

/** An errno from a failed call, worded as Node words them ("EAGAIN: ..."). */
export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    const name = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
    super(`${call}: ${name}: ${strerror(errno) as string}`);
  }
}

function check(call: string, result: number | bigint): number {
  if (Number(result) < 0) throw new SyscallError(call, koffi.errno());
  return Number(result);
}

/**
 * Makes this process the child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER):
 * orphans among our descendants (the container's init, once the runtime's
 * `create` exits) become our children instead of init's.
 */
export function becomeSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/**
 * Resolves with the exit code of `pid`, a child of ours that libuv did not
 * spawn (an adopted orphan): its code, or 128+N when signal N killed it.
 * libuv reaps only the children it spawned, by pid, so the SIGCHLD that
 * libuv also listens to is ours to act on for this one.
 */
export function waitForChild(pid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // Signal listeners do not keep Node's event loop alive; this timer does,
    // and it polls in case a SIGCHLD was coalesced with one libuv consumed.
    const timer = setInterval(() => poll(), 1000);
    const poll = () => {
      const status = [0];
      const result = waitpid(pid, status, WNOHANG) as number;
      if (result === 0) return;
      if (result < 0 && koffi.errno() === EINTR) return;
      const errno = koffi.errno();
      process.off('SIGCHLD', poll);
      clearInterval(timer);
      if (result < 0) reject(new SyscallError(`waitpid(${pid})`, errno));
      else resolve(decodeWaitStatus(status[0]!));
    };
    process.on('SIGCHLD', poll);
    // It may have exited before we listened.
    poll();
  });
}

/** A wait(2) status as a shell reports it: the exit code, or 128+N for signal N. */
export function decodeWaitStatus(status: number): number {
  const signal = status & 0x7f;
  if (signal === 0) return (status >> 8) & 0xff;
  return signalExitCode(signal);
}

/**
 * A unix socket the runtime sends the container's pty master to
 * (`--console-socket`). Listen before `create`; `receive` once `create` has
 * exited: the runtime sends the fd during create, so it waits in the
 * socket's queue. The caller removes the socket's path.
 */
export class ConsoleSocket {
  private fd: number;

  constructor(readonly path: string) {
    const bytes = Buffer.from(path);
    // struct sockaddr_un: sun_family, then sun_path[108] with its NUL.
    if (bytes.length >= 108) throw new Error(`console socket path too long: ${path}`);
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    bytes.copy(addr, 2);
    this.fd = check('socket', socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    try {
      check(`bind(${path})`, bind(this.fd, addr, 2 + bytes.length + 1));
      check('listen', listen(this.fd, 1));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * The pty master fd the runtime sent (blocking mode, close-on-exec), or
   * undefined when no connection is queued. Closes the socket.
   */
  receive(): number | undefined {
    try {
      const conn = accept4(this.fd, null, null, SOCK_CLOEXEC) as number;
      if (conn < 0) {
        const errno = koffi.errno();
        if (errno === constants.errno.EAGAIN) return undefined;
        throw new SyscallError('accept4', errno);
      }
      try {
        return receiveFd(conn);
      } finally {
        close(conn);
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }
}

/** One fd from a message with SCM_RIGHTS on `conn` (a blocking socket); throws when the message carries none. */
function receiveFd(conn: number): number {
  // The message body is the pty's name; room for it, one iovec, one cmsg of one int, one msghdr.
  const data = koffi.alloc('uint8_t', 4096);
  const iov = koffi.alloc('uint8_t', 16);
  const control = koffi.alloc('uint8_t', 24); // CMSG_SPACE(sizeof(int))
  const msg = koffi.alloc('uint8_t', 56);
  try {
    const iovView = new DataView(koffi.view(iov, 16));
    iovView.setBigUint64(0, koffi.address(data), true);
    iovView.setBigUint64(8, 4096n, true);
    const msgView = new DataView(koffi.view(msg, 56));
    for (let i = 0; i < 56; i += 8) msgView.setBigUint64(i, 0n, true);
    msgView.setBigUint64(16, koffi.address(iov), true); // msg_iov
    msgView.setBigUint64(24, 1n, true); // msg_iovlen
    msgView.setBigUint64(32, koffi.address(control), true); // msg_control
    msgView.setBigUint64(40, 24n, true); // msg_controllen
    let n: number;
    do {
      n = Number(recvmsg(conn, msg, 0));
    } while (n < 0 && koffi.errno() === EINTR);
    check('recvmsg', n);
    const controlLength = Number(msgView.getBigUint64(40, true));
    const cmsg = new DataView(koffi.view(control, 24));
    if (controlLength < 20 || cmsg.getInt32(8, true) !== SOL_SOCKET || cmsg.getInt32(12, true) !== SCM_RIGHTS) {
      throw new Error('the runtime sent no file descriptor on the console socket');
    }
    return cmsg.getInt32(16, true);
  } finally {
    koffi.free(data);
    koffi.free(iov);
    koffi.free(control);
    koffi.free(msg);
  }
}

/** Sets a terminal's window size (ioctl TIOCSWINSZ); its foreground process group gets SIGWINCH. */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const winsize = Buffer.alloc(8);
  winsize.writeUInt16LE(rows, 0);
  winsize.writeUInt16LE(cols, 2);
  check('ioctl(TIOCSWINSZ)', ioctl(fd, TIOCSWINSZ, winsize));
}

/** dup(2): a second fd for the same open file. */
export function duplicateFd(fd: number): number {
  return check('dup', dup(fd));
}

/** close(2), errors ignored. */
export function closeFd(fd: number): void {
  close(fd);
}
