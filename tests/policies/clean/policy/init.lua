-- The idiomatic PING8 policy: every deployment value from the environment, checked at
-- start; secrets from the environment or KeySources; loopback-only HTTP listener; webhooks
-- through a constructor that authenticates; egress through KumoProxy.
local kumo = require 'kumo'
local log_hooks = require 'policy-extras.log_hooks'

local function required(name)
  local value = os.getenv(name)
  if value == nil or value == '' then
    error(name .. ' must be set (see /etc/default/kumomta)')
  end
  return value
end

local WEBHOOK_URL = required 'PING8_WEBHOOK_URL'
local WEBHOOK_TOKEN = assert(os.getenv('PING8_WEBHOOK_TOKEN'), 'PING8_WEBHOOK_TOKEN must be set')
local PROXY_HOST = assert(os.getenv('KUMOPROXY_HOST'), 'KUMOPROXY_HOST must be set')
local PROXY_PORT = os.getenv('KUMOPROXY_PORT') or error('KUMOPROXY_PORT must be set')
local PROXY_PUBLIC_IP = os.getenv('KUMOPROXY_PUBLIC_IP')
if not PROXY_PUBLIC_IP then
  error('KUMOPROXY_PUBLIC_IP must be set')
end
local PROXY_HELO = required('KUMOPROXY_HELO')

log_hooks:new {
  name = 'ping8',
  log_parameters = { headers = { 'Subject', 'X-PING8-Message-ID' } },
  constructor = function(domain, tenant, campaign)
    local client = kumo.http.build_client { timeout = '30s' }
    local sender = {}
    function sender:send(message)
      local response = client
        :post(WEBHOOK_URL)
        :header('Content-Type', 'application/json')
        :header('Authorization', 'Bearer ' .. WEBHOOK_TOKEN)
        :body(message:get_data())
        :send()
      if response:status_is_success() then
        return response:status_reason()
      end
      kumo.reject(500, response:status_reason())
    end
    return sender
  end,
}

kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '/var/spool/kumomta/data' }
  kumo.define_spool { name = 'meta', path = '/var/spool/kumomta/meta' }
  kumo.configure_local_logs { log_dir = '/var/log/kumomta' }
  kumo.start_http_listener {
    listen = '127.0.0.1:8000',
    trusted_hosts = { '127.0.0.1/32', '::1' },
  }
end)

kumo.on('get_egress_source', function(source_name)
  return kumo.make_egress_source {
    name = source_name,
    socks5_proxy_server = PROXY_HOST .. ':' .. PROXY_PORT,
    socks5_proxy_source_address = PROXY_PUBLIC_IP,
    ehlo_domain = PROXY_HELO,
  }
end)

kumo.on('get_egress_path_config', function(domain, egress_source, site_name)
  return kumo.make_egress_path {
    enable_tls = 'OpportunisticInsecure',
    smtp_auth_plain_username = 'relay',
    smtp_auth_plain_password = { vault_mount = 'secret', vault_path = 'kumomta/relay' },
  }
end)

kumo.on('smtp_server_message_received', function(msg)
  msg:dkim_sign(kumo.dkim.rsa_sha256_signer {
    domain = msg:from_header().domain,
    selector = 'ping8',
    headers = { 'From', 'To', 'Subject', 'Date', 'Message-ID' },
    key = '/opt/kumomta/etc/dkim/' .. msg:from_header().domain .. '/ping8.key',
  })
end)
