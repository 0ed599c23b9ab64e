/**
 * Configuration: the schema, loading it from its sources, the API key file, and showing it.
 * @module
 */

// Commonly used
export { effectiveBaseUrl, loadConfig, resolveHeraldHome, resolveKvPath } from "./loader.ts";
export type { ConfigFlags, LoadConfigOptions } from "./loader.ts";
export { ConfigError } from "./errors.ts";
export {
  ALL_TOOL_NAMES,
  ConfigSchema,
  FallbackModelSchema,
  KEY_SCOPES,
  NamedKeySchema,
} from "./schema.ts";
export type { Config, ResolvedConfig } from "./schema.ts";
export { streamingFor, type StreamingFrontDoor } from "./streaming.ts";
export { DEFAULT_TOOLSET, TOOLSET_ENTRY } from "./schema.ts";
export {
  MCP_APPROVAL_POLICIES,
  MCP_SERVER_NAME,
  type McpServerConfig,
  McpServerSchema,
  McpServersSchema,
  McpSettingsSchema,
} from "./mcp_schema.ts";

// The API server key
export { apiKeyPath, ensureApiKey, generateApiKey, rotateApiKey } from "./api_key.ts";
export type { ApiKeyInfo } from "./api_key.ts";
export { MIN_KEY_LENGTH, weakKeyReason } from "./key_policy.ts";
export {
  type ConfiguredKey,
  type ConfiguredKeys,
  resolveConfiguredKeys,
} from "./configured_keys.ts";
export {
  addNamedKey,
  hashKey,
  KEY_NAME_PATTERN,
  type KeyScope,
  keysFilePath,
  type NewKey,
  parseKeysFile,
  readKeysFile,
  revokeNamedKey,
  rotateNamedKey,
  type StoredKey,
  unnamedKeyName,
} from "./keys_file.ts";

// Owner-only files in $HERALD_HOME
export {
  ensurePrivateDir,
  ensurePrivateFile,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  securePrivateHome,
  writePrivateFile,
} from "./home.ts";

// Display and docs
export { maskConfig, maskSecret, maskUrl } from "./mask.ts";
export { renderConfigReference } from "./docs.ts";

// Advanced
export { OLLAMA_BASE_URL, OPENAI_BASE_URL } from "./loader.ts";
export { parseDotenv } from "./dotenv.ts";
export type { DotenvResult } from "./dotenv.ts";
export { listConfigLeaves } from "./schema_walk.ts";
export type { ConfigLeaf, LeafKind } from "./schema_walk.ts";

// "Did you mean" for mistyped names.
export { closestName, editDistance } from "./suggest.ts";
