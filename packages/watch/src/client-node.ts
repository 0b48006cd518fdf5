// client-node's KubeConfig without its generated API clients. Importing '@kubernetes/client-node' (2.0.1) loads
// every generated API and model (ObservableAPI.js alone is 7 MB of source): +79 MB RSS and +27 MB heap in a
// process that only needs KubeConfig (kso speaks raw HTTP, see http.ts). KubeConfig's module (dist/config.js)
// imports the generated index for two names used by makeApiClient only; a resolve hook scoped to that one
// import hands it a module re-exporting those two from their own files, so makeApiClient still works and the
// other ~1,000 modules are never loaded (-38 MB RSS at start, measured with `npm run bench`).
import * as nodeModule from 'node:module';

const CONFIG_MODULE = /\/@kubernetes\/client-node\/dist\/config\.js$/;

function thinGeneratedIndex(configUrl: string): string {
  const from = (file: string) => JSON.stringify(new URL(file, configUrl).href);
  const src =
    `export { createConfiguration } from ${from('./gen/configuration.js')};\n` +
    `export { ServerConfiguration } from ${from('./gen/servers.js')};\n`;
  return `data:text/javascript,${encodeURIComponent(src)}`;
}

let hooked = false;

/**
 * KubeConfig, loaded on first use only (a Pod with in-cluster credentials never needs it) and synchronously
 * (require of the ESM module, Node >= 22.12), so loadKubeConfig stays synchronous for its callers.
 */
export function kubeConfigClass(): typeof import('@kubernetes/client-node').KubeConfig {
  // registerHooks: Node >= 22.15 / 23.5 (in-thread, synchronous, applies to require too); older runtimes load
  // the full package.
  const register = (nodeModule as { registerHooks?: typeof nodeModule.registerHooks }).registerHooks;
  if (!hooked && register) {
    hooked = true;
    register({
      resolve(specifier, context, next) {
        if (
          specifier === './gen/index.js' &&
          context.parentURL !== undefined &&
          CONFIG_MODULE.test(context.parentURL)
        ) {
          return { url: thinGeneratedIndex(context.parentURL), shortCircuit: true };
        }
        return next(specifier, context);
      },
    });
  }
  const mod = nodeModule.createRequire(import.meta.url)('@kubernetes/client-node/dist/config.js') as {
    KubeConfig: typeof import('@kubernetes/client-node').KubeConfig;
  };
  return mod.KubeConfig;
}
