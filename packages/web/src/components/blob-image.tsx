// An image whose bytes come from /v1/blobs through fetch (the cookie session needs the CSRF header), loaded only
// once it scrolls near the screen; the tile keeps its size throughout, so nothing jumps as images arrive.
import { useEffect, useRef, useState } from 'preact/hooks';
import { downloadBlob } from '../blobs';

export function BlobImage(props: { sha256: string; alt: string; class?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const abort = new AbortController();
    let objectUrl: string | null = null;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        observer.disconnect();
        downloadBlob(props.sha256, abort.signal).then(
          (blob) => {
            objectUrl = URL.createObjectURL(blob);
            setUrl(objectUrl);
          },
          () => setFailed(!abort.signal.aborted),
        );
      },
      { rootMargin: '200px' },
    );
    observer.observe(box);
    return () => {
      observer.disconnect();
      abort.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [props.sha256]);

  return (
    <div ref={ref} class={`blob-image ${props.class ?? ''}`}>
      {url ? <img src={url} alt={props.alt} /> : <span class="muted">{failed ? 'Not available' : ''}</span>}
    </div>
  );
}
