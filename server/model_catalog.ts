/**
 * The model names a gateway answers to: the advertised default (`api_server.model_name`, always
 * the configured `model.name`) and the routes of `models:` in config.yaml. A request's `model`
 * picks the route its turn runs on; a name that is no route runs on the default, or is refused
 * with 404 `model_not_found` when `api_server.unknown_model` is `reject`.
 * @module
 */
import type { LlmTarget } from "../agent/mod.ts";
import { NotFoundError } from "./errors.ts";

/** What {@link ModelCatalog} is built from. */
export interface ModelCatalogOptions {
  /** The advertised default name (`api_server.model_name`). */
  defaultName: string;
  /** The default upstream model (`model.name` on the configured base URL). */
  defaultTarget?: LlmTarget;
  /** Routes by name. */
  routes?: ReadonlyMap<string, LlmTarget>;
  /** `api_server.unknown_model`; default `default`. */
  unknownModel?: "default" | "reject";
}

/** Where a request's model name leads. */
export interface ResolvedModel {
  /** The route name, or undefined for the default upstream. */
  route: string | undefined;
  /** The upstream model and endpoint. */
  target: LlmTarget | undefined;
}

/**
 * Resolves model names to routes.
 *
 * @example
 * ```ts
 * const catalog = new ModelCatalog({ defaultName: "herald", routes, unknownModel: "reject" });
 * catalog.resolve("herald-fast").route; // "herald-fast"
 * ```
 */
export class ModelCatalog {
  readonly defaultName: string;
  readonly #defaultTarget: LlmTarget | undefined;
  readonly #routes: ReadonlyMap<string, LlmTarget>;
  readonly #reject: boolean;

  constructor(options: ModelCatalogOptions) {
    this.defaultName = options.defaultName;
    this.#defaultTarget = options.defaultTarget;
    this.#routes = options.routes ?? new Map();
    this.#reject = options.unknownModel === "reject";
  }

  /** Every name clients may send, the default first. */
  get names(): string[] {
    return [this.defaultName, ...[...this.#routes.keys()].filter((n) => n !== this.defaultName)];
  }

  /** Whether `name` is the default or a route. */
  has(name: string): boolean {
    return name === this.defaultName || this.#routes.has(name);
  }

  /**
   * The route for a request's `model` (none sent: the default).
   * @throws NotFoundError (404 `model_not_found`) for an unknown name when unknown names are refused.
   */
  resolve(name: string | null | undefined): ResolvedModel {
    if (name == null || name === this.defaultName) {
      return { route: undefined, target: this.#defaultTarget };
    }
    const target = this.#routes.get(name);
    if (target) return { route: name, target };
    if (this.#reject) {
      throw new NotFoundError(
        `The model '${name.slice(0, 200)}' does not exist here. This gateway serves: ` +
          `${this.names.join(", ")}.`,
        { code: "model_not_found", param: "model" },
      );
    }
    return { route: undefined, target: this.#defaultTarget };
  }
}
