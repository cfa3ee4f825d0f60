local kumo = require 'kumo'
local log_hooks = require 'policy-extras.log_hooks'

local WEBHOOK_URL = assert(os.getenv('PING8_WEBHOOK_URL'), 'PING8_WEBHOOK_URL must be set')
-- Mistake: a missing variable silently falls back to a secret committed here.
local WEBHOOK_TOKEN = os.getenv('PING8_WEBHOOK_TOKEN') or 'Zq4vN8rT2wYk6pLs0dHf3jXc9mBa7uEe'
local PROXY_HOST = assert(os.getenv('KUMOPROXY_HOST'), 'KUMOPROXY_HOST must be set')
local PROXY_PORT = assert(os.getenv('KUMOPROXY_PORT'), 'KUMOPROXY_PORT must be set')
local PROXY_IP = assert(os.getenv('KUMOPROXY_PUBLIC_IP'), 'KUMOPROXY_PUBLIC_IP must be set')
local HELO = assert(os.getenv('KUMOPROXY_HELO'), 'KUMOPROXY_HELO must be set')

kumo.on('init', function()
  kumo.start_http_listener {
    listen = '127.0.0.1:8000',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
  kumo.start_esmtp_listener { listen = '0.0.0.0:25' }
  kumo.configure_local_logs { log_dir = '/var/log/kumomta' }

  log_hooks:new {
    name = 'ping8_webhook',
    constructor = function(domain, tenant, campaign)
      local connection = {}
      local client = kumo.http.build_client {}
      function connection:send(message)
        local response = client
          :post(WEBHOOK_URL)
          :header('Content-Type', 'application/json')
          :header('Authorization', 'Bearer ' .. WEBHOOK_TOKEN)
          :body(message:get_data())
          :send()
        local disposition = string.format('%d %s', response:status_code(), response:status_reason())
        if response:status_is_success() then
          return disposition
        end
        kumo.reject(500, disposition)
      end
      function connection:close()
        client:close()
      end
      return connection
    end,
  }
end)

kumo.on('get_egress_source', function(source_name)
  return kumo.make_egress_source {
    name = source_name,
    socks5_proxy_server = PROXY_HOST .. ':' .. PROXY_PORT,
    socks5_proxy_source_address = PROXY_IP,
    ehlo_domain = HELO,
  }
end)
