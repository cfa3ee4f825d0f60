-- Shape: KumoProxy policy with SOCKS5 auth; credentials default for the test rig.
local AUTH_USERNAME = os.getenv 'KUMO_PROXY_AUTH_USERNAME' or 'testuser'
local AUTH_PASSWORD = os.getenv 'KUMO_PROXY_AUTH_PASSWORD' or 'testpass' -- expect: KL202

kumo.on('proxy_init', function()
  proxy.start_proxy_listener {
    listen = '0.0.0.0:5000',
    require_auth = true,
  }
end)

kumo.on('proxy_server_auth_rfc1929', function(username, password, conn_meta)
  return username == AUTH_USERNAME and password == AUTH_PASSWORD
end)
