import { readFileSync } from "node:fs";
import path from "node:path";
import type { Upload } from "./specs";

/**
 * The provider's `uploads` as one tar archive extracted at "/" (what the provider does through
 * the Docker API's archive endpoint). A minimal ustar writer: regular files only; Docker
 * creates missing parent directories when it extracts.
 */

const BLOCK = 512;

export function uploadsArchive(uploads: Upload[], root: string): Buffer {
  const parts: Buffer[] = [];
  for (const upload of uploads) {
    const body =
      upload.content !== undefined
        ? Buffer.from(upload.content, "utf8")
        : readFileSync(path.resolve(root, upload.source ?? ""));
    parts.push(
      header(
        upload.file.replace(/^\/+/, ""),
        body.length,
        parseInt(upload.permissions ?? "0644", 8),
      ),
    );
    parts.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(name: string, size: number, mode: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  const octal = (value: number, width: number): string =>
    `${value.toString(8).padStart(width - 1, "0")}\0`;
  block.write(base, 0, 100, "utf8");
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136);
  block.write("        ", 148);
  block.write("0", 156);
  block.write("ustar\0", 257);
  block.write("00", 263);
  block.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}
