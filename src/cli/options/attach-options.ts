import type { OptionSpec } from '../command.js';
import { DEFAULT_DETACH_KEYS } from '../detach-keys.js';

/** --detach-keys, shared by run, start, attach and exec. */
export const DETACH_KEYS_OPTION: OptionSpec = {
  type: 'string',
  default: DEFAULT_DETACH_KEYS,
  describe: 'Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]` or `_`; "" disables detaching',
};

/** --sig-proxy for run and attach (start's own has no default: it needs --attach). */
export const SIG_PROXY_OPTION: OptionSpec = { type: 'boolean', default: true, describe: 'Proxy received signals to the process' };
