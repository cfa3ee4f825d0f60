local kumo = require 'kumo'
local constants = require 'constants'
require 'webhooks'

local TRUSTED = { '127.0.0.1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16' } -- expect: KL205 KL205 KL205

kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '/var/spool/kumomta/data' }
  kumo.start_http_listener {
    listen = '0.0.0.0:8000', -- expect: KL205
    trusted_hosts = TRUSTED,
  }
end)

kumo.on('http_server_validate_auth_basic', function(user, password)
  return password == constants.kumomta_key
end)
