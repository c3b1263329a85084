// BlurHash decoder (https://blurha.sh): a few cosine components turned into
// a tiny picture drawn on a <canvas>, shown while the photo loads.
const CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';

const d83 = (s, a, b) => {
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = CHARS.indexOf(s[i]);
    if (c < 0) throw new Error('blurhash');
    v = v * 83 + c;
  }
  return v;
};
const toLinear = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const toSRGB = (v) => {
  v = Math.max(0, Math.min(1, v));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
};
const signPow = (v, e) => Math.sign(v) * Math.abs(v) ** e;

/** RGBA pixels (Uint8ClampedArray) of HASH at W×H; throws on a bad hash. */
export function decode(hash, w, h, punch = 1) {
  const size = d83(hash, 0, 1);
  const ny = Math.floor(size / 9) + 1;
  const nx = (size % 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error('blurhash');
  const max = ((d83(hash, 1, 2) + 1) / 166) * punch;
  const colors = [];
  const dc = d83(hash, 2, 6);
  colors.push([toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]);
  for (let i = 1; i < nx * ny; i++) {
    const v = d83(hash, 4 + i * 2, 6 + i * 2);
    colors.push([Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19].map((q) => signPow((q - 9) / 9, 2) * max));
  }
  const px = new Uint8ClampedArray(w * h * 4);
  const cx = [];
  for (let x = 0; x < w; x++) for (let i = 0; i < nx; i++) cx[x * nx + i] = Math.cos((Math.PI * x * i) / w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < ny; j++) {
        const cy = Math.cos((Math.PI * y * j) / h);
        for (let i = 0; i < nx; i++) {
          const f = cx[x * nx + i] * cy;
          const c = colors[i + j * nx];
          r += c[0] * f;
          g += c[1] * f;
          b += c[2] * f;
        }
      }
      const o = 4 * (x + y * w);
      px[o] = toSRGB(r);
      px[o + 1] = toSRGB(g);
      px[o + 2] = toSRGB(b);
      px[o + 3] = 255;
    }
  }
  return px;
}

const cache = new Map();

/** A <canvas> painted with HASH (aspect W/H kept, 32 px on the long side),
 *  or null when the hash is missing or malformed. */
export function blurCanvas(hash, aspect = 1) {
  if (!hash) return null;
  const w = aspect >= 1 ? 32 : Math.max(4, Math.round(32 * aspect));
  const h = aspect >= 1 ? Math.max(4, Math.round(32 / aspect)) : 32;
  const key = hash + w + 'x' + h;
  let px = cache.get(key);
  try {
    if (!px) {
      px = decode(hash, w, h);
      if (cache.size > 300) cache.clear();
      cache.set(key, px);
    }
  } catch {
    return null;
  }
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.className = 'bh';
  c.setAttribute('aria-hidden', 'true');
  c.getContext('2d').putImageData(new ImageData(px, w, h), 0, 0);
  return c;
}
