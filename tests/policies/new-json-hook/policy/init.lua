-- Shape: the documented new_json webhook, plus the PING8 docs' fallback defaults.
local kumo = require 'kumo'
local log_hooks = require 'policy-extras.log_hooks'

local PROXY_PUBLIC_IP = os.getenv('KUMOPROXY_PUBLIC_IP') or '203.0.113.20' -- expect: KL204
local PROXY_HELO = os.getenv('KUMOPROXY_HELO') or 'mta.yourdomain.com' -- expect: KL204

-- The call to new_json must appear before the queues helper.
log_hooks:new_json { -- expect: KL207
  name = 'webhook',
  url = os.getenv('PING8_WEBHOOK_URL'), -- expect: KL204
  log_parameters = { headers = { 'Subject', 'X-Customer-ID' } },
}

kumo.on('get_egress_source', function(source_name)
  return kumo.make_egress_source {
    name = source_name,
    socks5_proxy_server = '127.0.0.1:5000',
    socks5_proxy_source_address = PROXY_PUBLIC_IP,
    ehlo_domain = PROXY_HELO,
  }
end)
