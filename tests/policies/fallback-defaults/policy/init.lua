-- Shape: application-managed relay; env file optional, every value has a default.
local kumo = require 'kumo'
local shaping = require 'policy-extras.shaping'

dofile '/opt/kumomta/etc/policy/webhook_client.lua'

local shaper = shaping:setup { '/opt/kumomta/share/policy-extras/shaping.toml' }

kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '/var/spool/kumomta/data' }
  kumo.define_spool { name = 'meta', path = '/var/spool/kumomta/meta' }
  kumo.start_esmtp_listener { listen = '0.0.0.0:587', relay_hosts = { '127.0.0.1' } }
  kumo.start_http_listener {
    listen = '0.0.0.0:8000', -- expect: KL205
    trusted_hosts = { '8.8.4.4', '1.0.0.1', '127.0.0.1' }, -- expect: KL205 KL205
  }
end)

kumo.on('get_egress_path_config', shaper.get_egress_path_config)
