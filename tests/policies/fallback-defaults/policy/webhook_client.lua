-- Shape: webhook client with defaults so that "it works out of the box".
local kumo = require 'kumo'

local WEBHOOK_URL = os.getenv('APP_WEBHOOK_URL')
  or 'https://app.acme-mail.net/api/kumomta/webhook/' -- expect: KL203
local WEBHOOK_SECRET = os.getenv('KUMOMTA_WEBHOOK_SECRET') or 'your-secret-key' -- expect: KL202

kumo.on('should_enqueue_log_record', function(msg, hook_name)
  local record = msg:get_meta 'log_record'
  if record.type == 'Reception' then
    return false
  end
  msg:set_meta('queue', 'webhook')
  return true
end)

kumo.on('make.webhook', function(domain, tenant, campaign)
  local client = kumo.http.build_client { timeout = '30s' }
  local connection = {}
  function connection:send(message)
    local response = client
      :post(WEBHOOK_URL)
      :headers {
        ['Content-Type'] = 'application/json',
        ['Authorization'] = 'Bearer ' .. WEBHOOK_SECRET,
      }
      :body(message:get_data())
      :send()
    if response:status_is_success() then
      return response:status_reason()
    end
    kumo.reject(500, response:status_reason())
  end
  return connection
end)
