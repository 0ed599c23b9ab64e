/**
 * Downloads a user's photo for the model. Files live on the Bot API host (the only host the
 * worker may reach), at `<api root>/file/bot<token>/<file_path>` after a getFile call; the
 * photo is passed on as a data: URL image part.
 * @module
 */
import type { Api } from "grammy/web";
import { bytesToBase64 } from "../../lib/mod.ts";

/** Photos larger than this are not passed on (most vision models refuse far smaller ones). */
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
/** The longest side Telegram sizes that are worth sending; larger ones cost tokens only. */
const PREFERRED_SIDE = 1280;

/** One size of a Telegram photo. */
export interface PhotoSize {
  file_id: string;
  width: number;
  height: number;
  file_size?: number;
}

/** Picks the largest size up to the preferred side, else the smallest. */
export function choosePhotoSize(sizes: PhotoSize[]): PhotoSize | undefined {
  const byArea = [...sizes].sort((a, b) => a.width * a.height - b.width * b.height);
  const fitting = byArea.filter((s) => Math.max(s.width, s.height) <= PREFERRED_SIDE);
  return fitting.at(-1) ?? byArea[0];
}

/** Downloads the photo and returns it as a data: URL. */
export async function readPhoto(
  api: Api,
  sizes: PhotoSize[],
  settings: { token: string; apiRoot: string },
): Promise<string> {
  const size = choosePhotoSize(sizes);
  if (!size) throw new Error("the message has no photo sizes");
  if ((size.file_size ?? 0) > MAX_PHOTO_BYTES) {
    throw new Error(`the photo is larger than ${MAX_PHOTO_BYTES} bytes`);
  }
  const file = await api.getFile(size.file_id);
  if (!file.file_path) throw new Error("Telegram gave no file path for the photo");
  const root = settings.apiRoot.replace(/\/+$/, "");
  const response = await fetch(`${root}/file/bot${settings.token}/${file.file_path}`);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the download answered HTTP ${response.status}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_PHOTO_BYTES) {
    throw new Error(`the photo is larger than ${MAX_PHOTO_BYTES} bytes`);
  }
  const type = response.headers.get("content-type")?.startsWith("image/")
    ? response.headers.get("content-type")!
    : "image/jpeg";
  return `data:${type};base64,${bytesToBase64(bytes)}`;
}
