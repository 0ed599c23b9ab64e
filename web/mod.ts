/**
 * The built-in web chat's files (docs/web.md), built from web/app/ by web/build.ts into the
 * generated web/assets.ts, for the server to serve.
 * @module
 */
export { WEB_ASSETS } from "./assets.ts";
export type { WebAsset } from "./asset.ts";
