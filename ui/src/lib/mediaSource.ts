// Plays an attachment through Media Source Extensions. WebKitGTK's media player refuses a
// <video src> on a custom URI scheme (MEDIA_ERR_SRC_NOT_SUPPORTED, seen in the e2e test), but
// plays a MediaSource (a blob: URL) fed with the bytes that fetch() gets from the media:
// scheme, 1 MiB range by range. The bytes stay in memory: no file, no socket.
// What MSE accepts is a byte stream: WebM and Matroska as recorded, MP4 only if fragmented.

const CHUNK = 1 << 20;

/** Codecs to try when the container alone is not enough for addSourceBuffer. */
const CANDIDATES: Record<string, string[]> = {
  video: ['', '; codecs="vp8"', '; codecs="vp9"', '; codecs="vp8, vorbis"', '; codecs="vp9, opus"', '; codecs="avc1.42E01E, mp4a.40.2"'],
  audio: ['', '; codecs="opus"', '; codecs="vorbis"', '; codecs="mp4a.40.2"'],
};

function sourceType(mediaType: string): string | null {
  const base = mediaType === 'video/x-matroska' ? 'video/webm' : mediaType;
  const kind = base.split('/')[0];
  for (const c of CANDIDATES[kind] ?? []) {
    if (MediaSource.isTypeSupported(base + c)) return base + c;
  }
  return null;
}

function once(target: EventTarget, event: string): Promise<void> {
  return new Promise((resolve) => target.addEventListener(event, () => resolve(), { once: true }));
}

function append(sb: SourceBuffer, data: ArrayBuffer): Promise<void> {
  return new Promise((resolve, reject) => {
    sb.addEventListener('updateend', () => resolve(), { once: true });
    sb.addEventListener('error', () => reject(new Error('the media data was refused')), { once: true });
    sb.appendBuffer(data);
  });
}

/** Feeds `element` from `url` until the end; `failed` is called if anything goes wrong
 *  (a damaged file answers with an error status). Returns a function that stops feeding. */
export function playFromScheme(
  element: HTMLMediaElement,
  url: string,
  mediaType: string,
  failed: () => void,
): () => void {
  let stopped = false;
  const type = sourceType(mediaType);
  if (!type) {
    failed();
    return () => {};
  }
  const source = new MediaSource();
  const objectUrl = URL.createObjectURL(source);
  element.src = objectUrl;
  void (async () => {
    try {
      await once(source, 'sourceopen');
      URL.revokeObjectURL(objectUrl);
      const sb = source.addSourceBuffer(type);
      let pos = 0;
      while (!stopped) {
        const r = await fetch(url, { headers: { Range: `bytes=${pos}-${pos + CHUNK - 1}` } });
        if (r.status !== 206 && r.status !== 200) throw new Error(`status ${r.status}`);
        const data = await r.arrayBuffer();
        const total = Number(r.headers.get('Content-Range')?.split('/')[1] ?? data.byteLength);
        if (stopped) break;
        await append(sb, data);
        pos += data.byteLength;
        if (pos >= total || data.byteLength === 0) {
          source.endOfStream();
          break;
        }
      }
    } catch {
      if (!stopped) failed();
    }
  })();
  return () => {
    stopped = true;
    element.removeAttribute('src');
    element.load();
  };
}
