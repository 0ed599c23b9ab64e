/**
 * The shape of one of the web chat's built files.
 * @module
 */

/** One file of the web chat, as web/build.ts generates it. */
export interface WebAsset {
  /** The URL path it is served at (`/`, `/web/app.js`…). */
  path: string;
  /** The Content-Type header. */
  contentType: string;
  /** A content hash (base64url), used as the ETag. */
  hash: string;
  /** The file's text. */
  body: string;
}
