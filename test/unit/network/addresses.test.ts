// The container address `inspect` reports comes from /proc/PID/net/fib_trie.
import test from 'ava';
import { parseFibTrie } from '../../../src/network/addresses.js';

// As the kernel prints it for a slirp4netns namespace (tap0 10.0.2.100/24 and lo).
const SLIRP = `Main:
  +-- 0.0.0.0/1 2 0 2
     +-- 0.0.0.0/4 2 0 2
        |-- 0.0.0.0
           /0 universe UNICAST
        +-- 10.0.2.0/24 2 0 1
           |-- 10.0.2.0
              /24 link UNICAST
           |-- 10.0.2.100
              /32 host LOCAL
           |-- 10.0.2.255
              /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/1 2 0 2
     +-- 0.0.0.0/4 2 0 2
        |-- 0.0.0.0
           /0 universe UNICAST
        +-- 10.0.2.0/24 2 0 1
           |-- 10.0.2.0
              /24 link UNICAST
           |-- 10.0.2.100
              /32 host LOCAL
           |-- 10.0.2.255
              /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
`;

// Only a loopback interface (--network none).
const LOOPBACK_ONLY = `Main:
  +-- 127.0.0.0/8 2 0 2
     +-- 127.0.0.0/31 1 0 0
        |-- 127.0.0.0
           /8 host LOCAL
        |-- 127.0.0.1
           /32 host LOCAL
     |-- 127.255.255.255
        /32 link BROADCAST
Local:
  +-- 127.0.0.0/8 2 0 2
     +-- 127.0.0.0/31 1 0 0
        |-- 127.0.0.0
           /8 host LOCAL
        |-- 127.0.0.1
           /32 host LOCAL
     |-- 127.255.255.255
        /32 link BROADCAST
`;

test('the slirp4netns address with its /24, loopback left out', (t) => {
  t.deepEqual(parseFibTrie(SLIRP), [{ address: '10.0.2.100', prefixLength: 24 }]);
});

test('a namespace with only loopback has no address', (t) => {
  t.deepEqual(parseFibTrie(LOOPBACK_ONLY), []);
  t.deepEqual(parseFibTrie(''), []);
});
