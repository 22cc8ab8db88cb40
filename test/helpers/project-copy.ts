import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, sep } from 'node:path';
import { ROOT } from './docs.js';

/** What a copy of the project leaves out: the build, the installed packages, git's data. */
const LEFT_OUT = new Set(['dist', 'node_modules', '.git']);

/** A private copy of the project, for what builds or links it (npx in a clone); see projectCopy. */
export interface ProjectCopy {
  /** The copy's folder: run commands there instead of in the repository. */
  dir: string;
  /** An environment for a shell in the copy: as a user's, with npm's cache of its own. */
  env: NodeJS.ProcessEnv;
  /** Removes the copy and everything made in it (its build, npm's cache and logs). */
  remove(): void;
}

/**
 * Copies the project's files, as a clone has them (everything but dist/, node_modules/ and
 * .git/, uncommitted changes included), into a temporary folder, with node_modules linked
 * to the repository's. What runs there (npx linking the folder and running its `prepare`,
 * which rebuilds dist/) never touches the repository's dist/, which the test files beside
 * it are loading. The copy gets its own npm cache, so npx's link to it does not outlive it.
 */
export function projectCopy(prefix = 'chat-project-'): ProjectCopy {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(base, 'tcp-chat');
  try {
    cpSync(ROOT, dir, {
      recursive: true,
      filter: (src) => {
        const inside = relative(ROOT, src);
        return !LEFT_OUT.has(inside.split(sep)[0]!);
      },
    });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
  } catch (err) {
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
  return { dir, env: userEnv(join(base, 'npm-cache')), remove: () => rmSync(base, { recursive: true, force: true }) };
}

/**
 * This process's environment as a user's shell would have it: without what `npm test` adds
 * (npm_* settings, its cache among them, and the repository's node_modules/.bin on PATH),
 * and with npm's cache in CACHE.
 */
function userEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  const roots = [ROOT, realpathSync(ROOT)];
  const inRepository = (p: string): boolean => roots.some((root) => !relative(root, p).startsWith('..'));
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && !inRepository(p))
    .join(delimiter);
  env['npm_config_cache'] = cache;
  // A fresh cache has no record of npm's last version check: no look-up at the registry.
  env['npm_config_update_notifier'] = 'false';
  return env;
}
