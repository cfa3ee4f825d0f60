-- Shape: fail fast on every required variable, keep them in one table.
local config = {}

local required = {
  'INTERNAL_SERVICE_KEY',
  'CONTROL_PLANE_URL',
  'KUMOPROXY_HOST',
  'KUMOPROXY_PORT',
}

for _, env_name in ipairs(required) do
  local value = os.getenv(env_name)
  if value == nil or value == '' then
    error('Required environment variable ' .. env_name .. ' is not set')
  end
  config[env_name] = value
end

return config
