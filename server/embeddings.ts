/**
 * `POST /v1/embeddings`: passed through to the upstream of the route the request's `model`
 * selects (its base URL and key), with the route's upstream model name put in. The agent is not
 * involved. The answer comes back as the upstream gave it, reporting the name the client asked
 * for; an upstream that refuses our key is a 502 (the client's key was fine), one that is down
 * a 503.
 * @module
 */
import { HeraldError, InvalidRequestError } from "./errors.ts";
import { readJsonBody } from "./body.ts";
import { jsonResponse } from "./error_envelope.ts";
import type { ModelCatalog } from "./model_catalog.ts";
import type { Route } from "./router.ts";

/** What the embeddings route needs. */
export interface EmbeddingsDeps {
  models: ModelCatalog;
  maxBodyBytes: number;
  /** Milliseconds to wait for the upstream; default 60 000. */
  timeoutMs?: number;
}

/** The `POST /v1/embeddings` route. */
export function embeddingsRoutes(deps: EmbeddingsDeps): Route[] {
  return [{
    method: "POST",
    path: "/v1/embeddings",
    handler: (req) => passEmbeddings(req, deps),
  }];
}

async function passEmbeddings(req: Request, deps: EmbeddingsDeps): Promise<Response> {
  const body = await readJsonBody(req, deps.maxBodyBytes) as Record<string, unknown>;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidRequestError("The body must be a JSON object.", { code: "invalid_value" });
  }
  if (body.input === undefined) {
    throw new InvalidRequestError("Missing required parameter: 'input'.", {
      code: "missing_required_parameter",
      param: "input",
    });
  }
  const requested = typeof body.model === "string" ? body.model : undefined;
  const { route, target } = deps.models.resolve(requested);
  if (!target) {
    throw new HeraldError("No upstream is configured for embeddings.", {
      status: 503,
      type: "server_error",
      code: "upstream_unreachable",
    });
  }
  // A route or the default name means the configured upstream model; any other name is the
  // client's own choice of embedding model on the default upstream.
  const model = route || requested === undefined || requested === deps.models.defaultName
    ? target.model
    : requested;
  const where = target.baseUrl.replace(/\/+$/, "");
  let upstream: Response;
  try {
    upstream = await fetch(`${where}/embeddings`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${target.apiKey || "not-needed"}`,
      },
      body: JSON.stringify({ ...body, model }),
      signal: AbortSignal.any([
        req.signal,
        AbortSignal.timeout(deps.timeoutMs ?? 60_000),
      ]),
    });
  } catch (error) {
    throw new HeraldError(`No embeddings upstream reachable at ${where}.`, {
      status: 503,
      type: "server_error",
      code: "upstream_unreachable",
      cause: error,
    });
  }
  const text = await upstream.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON: handled below */ }
  if (upstream.status === 401 || upstream.status === 403) {
    throw new HeraldError(
      `The embeddings upstream ${where} refused Herald's key (${upstream.status}); check the ` +
        "route's api_key (or model.api_key).",
      { status: 502, type: "server_error", code: "upstream_error" },
    );
  }
  if (json === null) {
    throw new HeraldError(
      `The embeddings upstream ${where} answered ${upstream.status} without JSON.`,
      { status: 502, type: "server_error", code: "upstream_error" },
    );
  }
  if (upstream.ok && requested !== undefined) json.model = requested;
  return jsonResponse(json, upstream.status);
}
