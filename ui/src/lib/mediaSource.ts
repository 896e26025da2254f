// Plays an attachment through Media Source Extensions. WebKitGTK's media player refuses a
// <video src> on a custom URI scheme (MEDIA_ERR_SRC_NOT_SUPPORTED, seen in the e2e test), but
// plays a MediaSource (a blob: URL) fed with the bytes that fetch() gets from the media:
// scheme, 1 MiB range by range. The bytes stay in memory: no file, no socket.
// What MSE accepts is a byte stream: WebM and Matroska as recorded, MP4 only if fragmented.
// A long recording (a 2-hour call is several GB) is fed as it is watched: feeding pauses
// while two minutes are buffered ahead of the playhead, and when WebKit's buffer is full
// what lies more than 30 s behind the playhead is dropped first.

const CHUNK = 1 << 20;
const AHEAD_S = 120;
const BEHIND_S = 30;

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
    sb.appendBuffer(data); // throws QuotaExceededError at once when the buffer is full
  });
}

function remove(sb: SourceBuffer, start: number, end: number): Promise<void> {
  return new Promise((resolve) => {
    sb.addEventListener('updateend', () => resolve(), { once: true });
    sb.remove(start, end);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds buffered from the playhead on (0 when the playhead is outside what is buffered). */
function bufferedAhead(element: HTMLMediaElement): number {
  const t = element.currentTime;
  const b = element.buffered;
  for (let i = 0; i < b.length; i++) {
    if (b.start(i) <= t && t <= b.end(i)) return b.end(i) - t;
  }
  return 0;
}

/** Appends, making room behind the playhead (and waiting for it to move) while full. */
async function appendWithRoom(
  element: HTMLMediaElement,
  sb: SourceBuffer,
  data: ArrayBuffer,
  stopped: () => boolean,
): Promise<void> {
  for (;;) {
    try {
      return await append(sb, data);
    } catch (e) {
      if ((e as DOMException)?.name !== 'QuotaExceededError' || stopped()) throw e;
      const behind = element.currentTime - BEHIND_S;
      if (sb.buffered.length > 0 && behind > sb.buffered.start(0)) {
        await remove(sb, 0, behind);
      } else {
        await sleep(500);
      }
    }
  }
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
        while (!stopped && bufferedAhead(element) > AHEAD_S) await sleep(500);
        if (stopped) break;
        const r = await fetch(url, { headers: { Range: `bytes=${pos}-${pos + CHUNK - 1}` } });
        if (r.status !== 206 && r.status !== 200) throw new Error(`status ${r.status}`);
        const data = await r.arrayBuffer();
        const total = Number(r.headers.get('Content-Range')?.split('/')[1] ?? data.byteLength);
        if (stopped) break;
        await appendWithRoom(element, sb, data, () => stopped);
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
