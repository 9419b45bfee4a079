// File bytes for Drive and Photos: upload with progress (one resumable-upload session, one PUT), download as a Blob.
// Both go through fetch/XHR because the cookie session needs the CSRF header, which a plain <img> or <a> cannot send.
import type { UploadView } from '@nimbus/protocol';
import { ApiError, api } from './api';

/** Hashing needs WebCrypto, which browsers give only to HTTPS pages and localhost. */
export const canHash = (): boolean => typeof crypto.subtle?.digest === 'function';

export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function putBytes(uploadId: string, offset: number, body: Blob, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/v1/uploads/${encodeURIComponent(uploadId)}`);
    xhr.setRequestHeader('x-nimbus-csrf', '1');
    xhr.setRequestHeader('upload-offset', String(offset));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (event) => onProgress(offset + event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let kind = 'HTTP';
      let message = `the upload failed (${xhr.status})`;
      try {
        const body = JSON.parse(xhr.responseText) as { error?: { kind: string; message: string } };
        if (body.error) ({ kind, message } = body.error);
      } catch {
        // Not JSON: keep the status line.
      }
      reject(new ApiError(xhr.status, kind, message));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the connection to the server was lost during the upload'));
    xhr.send(body.slice(offset));
  });
}

/** Stores the file's bytes on the server (nothing is sent when the account has them already); returns the hash. */
export async function uploadBlob(file: File, zone: string, onProgress: (sent: number, total: number) => void): Promise<string> {
  const sha256 = await sha256Hex(file);
  const upload = await api<UploadView>('POST', '/v1/uploads', { sha256, size: file.size, zone });
  if (!upload.complete && upload.uploadId !== undefined) {
    const id = upload.uploadId;
    if (upload.offset < file.size) await putBytes(id, upload.offset, file, (sent) => onProgress(sent, file.size));
    await api('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`, {});
  }
  onProgress(file.size, file.size);
  return sha256;
}

export async function downloadBlob(sha256: string, signal?: AbortSignal): Promise<Blob> {
  const response = await fetch(`/v1/blobs/${sha256}`, { headers: { 'x-nimbus-csrf': '1' }, credentials: 'same-origin', ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError(response.status, 'HTTP', `the file could not be fetched (${response.status})`);
  return response.blob();
}

/** Hands a downloaded file to the browser's save dialog. */
export function saveAs(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
