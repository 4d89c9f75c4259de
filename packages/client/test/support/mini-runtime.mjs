// A mini-program-like JavaScript runtime: a fresh `vm` context holding only the
// language's built-ins, timers, console and the platform API (`wx` or `uni`), so
// `window`, `WebSocket`, `TextEncoder`, `TextDecoder` and `Buffer` are all absent. The
// SDK's single file, lib/stompbox.min.js, is loaded into it as a page would copy it.
// Not a test file.
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SINGLE_FILE = fileURLToPath(new URL('../../lib/stompbox.min.js', import.meta.url));

/** `file`: the single file (a script), or a CommonJS build such as lib/mini-program.cjs (what a bundler would hand the runtime). */
export function miniRuntime(globals, file = SINGLE_FILE) {
  const context = vm.createContext({ console, setTimeout, clearTimeout, setInterval, clearInterval, ...globals });
  const code = readFileSync(file, 'utf8');
  if (file.endsWith('.cjs')) {
    const module = { exports: {} };
    vm.runInContext(`(function (module, exports) {${code}\n})`, context, { filename: file })(module, module.exports);
    context.Stompbox = module.exports;
  } else vm.runInContext(code, context, { filename: 'stompbox.min.js' });
  const absent = vm.runInContext('[typeof window, typeof WebSocket, typeof TextEncoder, typeof TextDecoder, typeof Buffer, typeof require]', context);
  if (absent.some((t) => t !== 'undefined')) throw new Error(`the mini-program runtime is not bare: ${absent}`);
  return { Stompbox: context.Stompbox, context };
}
