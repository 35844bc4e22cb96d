// Direct-to-storage uploads: the browser PUTs bytes to presigned URLs, so files never pass
// through the API. XMLHttpRequest (not fetch) because only it reports upload progress.
import { Api, ApiError, api } from "./api.js";

export const CONTENT_TYPES = {
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  txt: "text/plain",
  json: "application/json",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  xls: "application/vnd.ms-excel",
  parquet: "application/vnd.apache.parquet",
  yaml: "application/yaml",
  yml: "application/yaml",
};

export function extensionOf(filename) {
  const m = /\.([A-Za-z0-9]+)$/.exec(filename || "");
  return m ? m[1].toLowerCase() : "";
}

export function contentTypeFor(filename) {
  return CONTENT_TYPES[extensionOf(filename)] || "application/octet-stream";
}

function storageError(xhr, what) {
  const status = xhr.status;
  let detail = `Upload of ${what} failed`;
  if (status === 0) detail += ": the storage server could not be reached (network or CORS).";
  else if (status === 403) detail += ": the upload link was refused or has expired. Start the upload again.";
  else detail += ` (storage answered ${status}).`;
  const m = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
  return new ApiError(status, m ? `${detail} ${m[1]}` : detail, "UPLOAD_FAILED", { status });
}

// PUT `body` to `url` with exactly the signed headers; onProgress(loadedBytes). Resolves to the ETag.
export function putWithProgress(url, body, headers, onProgress, what = "the file") {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers || {})) {
      // the browser sets these itself and refuses to have them set
      if (!/^(host|content-length)$/i.test(k)) xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size ?? body.length ?? 0);
        resolve(xhr.getResponseHeader("ETag"));
      } else {
        reject(storageError(xhr, what));
      }
    };
    xhr.onerror = () => reject(storageError(xhr, what));
    xhr.onabort = () => reject(new ApiError(0, `Upload of ${what} was aborted.`, "UPLOAD_ABORTED"));
    xhr.send(body);
  });
}

function planParts(plan) {
  const parts = plan.parts || plan.part_urls || [];
  const partSize = plan.part_size || plan.part_size_bytes;
  return parts.map((p, i) => {
    const number = p.part_number ?? p.number ?? i + 1;
    const start = p.start ?? (number - 1) * partSize;
    const end = p.end ?? (p.size !== undefined ? start + p.size : start + partSize);
    return { number, url: p.url, start, end, headers: p.headers || {} };
  });
}

// A part that fails (network blip, storage hiccup) is sent again a few times before giving up;
// 403 means the link is refused or expired, which a retry cannot fix.
async function withRetry(fn, onRetry, attempts = 3) {
  for (let i = 1; ; i += 1) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || err.status === 403) throw err;
      onRetry();
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

export function isMultipart(plan) {
  return Boolean(plan && (plan.multipart || plan.parts || plan.part_urls));
}

// Upload one role's file following the server's plan (single PUT or multipart).
export async function uploadFile(taskId, role, file, plan, onProgress) {
  if (!isMultipart(plan)) {
    const headers = { ...(plan.headers || {}) };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {
      headers["Content-Type"] = contentTypeFor(file.name);
    }
    await putWithProgress(plan.url, file, headers, onProgress, file.name);
    return;
  }
  const loaded = new Map();
  const etags = new Map();
  const report = () => onProgress([...loaded.values()].reduce((a, b) => a + b, 0));
  let pending = planParts(plan);
  // Part URLs expire (15 minutes) and connections drop: when parts fail, ask the server which
  // parts it already holds and for fresh URLs for the rest, then carry on from there.
  for (let round = 1; ; round += 1) {
    try {
      await uploadParts(file, pending, loaded, etags, report);
      break;
    } catch (err) {
      if (!plan.parts_url || round >= 3) throw err;
      const state = await api(plan.parts_url);
      for (const p of state.parts || []) {
        etags.set(p.part_number, p.etag);
        if (p.size !== undefined) loaded.set(p.part_number, p.size);
      }
      report();
      pending = planParts({ part_size: state.part_size || plan.part_size, parts: state.missing_parts || [] })
        .filter((p) => !etags.has(p.number));
    }
  }
  const parts = [...etags.entries()].map(([n, etag]) => ({ part_number: n, etag }))
    .sort((a, b) => a.part_number - b.part_number);
  const complete = plan.complete || {};
  await Api.completeMultipart(taskId, role, { upload_id: plan.upload_id ?? complete.upload_id, parts },
    plan.complete_url || complete.url);
}

// Two parts at a time: fast enough, and a failed part does not waste much.
async function uploadParts(file, parts, loaded, etags, report) {
  let next = 0;
  let failed = false;
  async function worker() {
    while (next < parts.length && !failed) {
      const part = parts[next];
      next += 1;
      const blob = file.slice(part.start, Math.min(part.end, file.size));
      let etag;
      try {
        etag = await withRetry(() => putWithProgress(part.url, blob, part.headers, (n) => {
          loaded.set(part.number, n);
          report();
        }, `${file.name} (part ${part.number})`), () => loaded.set(part.number, 0));
      } catch (err) {
        failed = true; // the other worker stops taking parts
        loaded.set(part.number, 0);
        throw err;
      }
      if (!etag) {
        throw new ApiError(0, "The storage server did not expose the part ETag (check the bucket's CORS "
          + "ExposeHeaders).", "UPLOAD_FAILED");
      }
      etags.set(part.number, etag);
    }
  }
  // wait for both workers to settle, so a resume never races a part still in flight
  const results = await Promise.allSettled([worker(), worker()]);
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
}

export function putParameters(plan, params) {
  const body = new Blob([JSON.stringify(params)], { type: "application/json" });
  const headers = { ...(plan.headers || {}) };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
  return putWithProgress(plan.url, body, headers, () => {}, "parameters.json");
}
