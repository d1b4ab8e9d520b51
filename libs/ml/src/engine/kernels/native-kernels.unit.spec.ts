import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nativeKernelsChoice, nativeKernelsLibrary, NATIVE_KERNELS_SOURCE, startNativeKernels, stopNativeKernels } from './native-kernels';

// Building and loading the C kernels: the build cache, a failed build or a missing compiler
// (the engine then stays on its wasm kernels with the reason), and the setting. Their arithmetic
// is tested through the kernels that use them (fused-attention.unit.spec.ts runs with them on
// and off).

const hasCompiler = (() => {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-kernels-'));
});

afterEach(() => {
  stopNativeKernels();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A compiler that counts its builds in `<dir>/builds` and hands the rest to cc. */
function countingCompiler(): string {
  const file = path.join(dir, 'counting-cc');
  fs.writeFileSync(file, `#!/bin/sh\ncase "$1" in --version) exec cc --version;; esac\necho build >> '${dir}/builds'\nexec cc "$@"\n`, { mode: 0o755 });
  return file;
}

const builds = () => (fs.existsSync(path.join(dir, 'builds')) ? fs.readFileSync(path.join(dir, 'builds'), 'utf8').trim().split('\n').length : 0);

describe('FORGE_ML_NATIVE_KERNELS', () => {
  it('defaults to auto, accepts off, and names a bad value', () => {
    expect(nativeKernelsChoice(undefined)).toBe('auto');
    expect(nativeKernelsChoice('')).toBe('auto');
    expect(nativeKernelsChoice('off')).toBe('off');
    expect(() => nativeKernelsChoice('on')).toThrow(/FORGE_ML_NATIVE_KERNELS must be 'auto' or 'off', got 'on'/);
  });

  it('off loads nothing', () => {
    expect(startNativeKernels('off')).toEqual({ reason: 'FORGE_ML_NATIVE_KERNELS=off' });
  });
});

(hasCompiler ? describe : describe.skip)('building the kernels with cc', () => {
  it('compiles once per source and machine, then loads the cached library', () => {
    const cacheDir = path.join(dir, 'cache');
    const compiler = countingCompiler();
    const first = nativeKernelsLibrary({ compiler, cacheDir });
    expect(builds()).toBe(1);
    expect(first.compiler).toMatch(/-O3 -march=native$/);
    expect(fs.readdirSync(cacheDir)).toEqual([path.basename(first.file)]); // no temporary file left
    expect(nativeKernelsLibrary({ compiler, cacheDir }).file).toBe(first.file);
    expect(builds()).toBe(1);
    // Another source is another library.
    const changed = path.join(dir, 'changed.c');
    fs.writeFileSync(changed, `${fs.readFileSync(NATIVE_KERNELS_SOURCE, 'utf8')}\nint forge_marker(void) { return 1; }\n`);
    expect(nativeKernelsLibrary({ compiler, cacheDir, source: changed }).file).not.toBe(first.file);
    expect(builds()).toBe(2);
  });

  it('starts with the attention kernels bound', () => {
    const { kernels, reason } = startNativeKernels('auto', { cacheDir: path.join(dir, 'cache') });
    expect(reason).toBeUndefined();
    expect(kernels?.name).toMatch(/-O3 -march=native/);
    expect(typeof kernels?.attentionForward).toBe('function');
  });

  it('a source that does not compile gives the reason with the compiler output, and leaves nothing behind', () => {
    const broken = path.join(dir, 'broken.c');
    fs.writeFileSync(broken, 'int forge_attention_forward(void) { return undeclared; }\n');
    const cacheDir = path.join(dir, 'cache');
    const { kernels, reason } = startNativeKernels('auto', { source: broken, cacheDir });
    expect(kernels).toBeUndefined();
    expect(reason).toMatch(/cc could not build broken\.c: .*undeclared/);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });
});

it('without a C compiler the reason says so', () => {
  const { kernels, reason } = startNativeKernels('auto', { compiler: path.join(dir, 'no-such-cc'), cacheDir: dir });
  expect(kernels).toBeUndefined();
  expect(reason).toMatch(/^no C compiler: '.*no-such-cc --version' failed/);
});
