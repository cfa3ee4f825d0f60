-- Shape: one constants module, custom header auth, defaults for local development.
local constants = {}

constants.kumomta_key = os.getenv("X_KUMOMTA_KEY") or "reloop" -- expect: KL202
constants.tracking_secret = os.getenv("TRACKING_SECRET") or "reloop_tracking_secret_default_123" -- expect: KL202
constants.api_base = os.getenv("API_BASE_URL") or "http://backend:3000"
constants.debug = os.getenv("KUMO_DEBUG") == "1"

if constants.debug then
  print("[debug] api base " .. constants.api_base)
end

return constants
