-- A second copy of the secret default, as such repos tend to grow.
local SECRET = os.getenv("KUMOMTA_WEBHOOK_SECRET") or "kumo-webhook-secret-change-in-production" -- expect: KL202
local API_KEY = os.getenv("KUMO_API_KEY") or "" -- expect: KL202
local SINK_PORT = tonumber(os.getenv 'SINK_PORT' or '25')

return { secret = SECRET, api_key = API_KEY, port = SINK_PORT }
