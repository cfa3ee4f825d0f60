local kumo = require 'kumo'
local sources = require 'policy-extras.sources'
local control_plane = require 'control_plane'

sources:setup { '/opt/kumomta/etc/policy/sources.toml' }

kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '/var/spool/kumomta/data' }
  kumo.start_http_listener {
    listen = '0.0.0.0:8000', -- expect: KL205
    trusted_hosts = { '127.0.0.1', '::1', '172.28.0.0/16' }, -- expect: KL205
  }
end)

kumo.on('smtp_server_message_received', function(msg)
  control_plane.sign(msg)
end)
