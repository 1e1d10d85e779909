-- The session's prelude: coroutine.resume, coroutine.wrap, pcall and xpcall
-- that let a blocking call inside them wait. A blocking call made in a task
-- yields WAIT to the scheduler; these pass that yield up through every
-- coroutine and pcall between the call and the task, and pass the results
-- back down, so code that reads as blocking works at any depth.
local WAIT, create = ...
local resume, yield, status, running = coroutine.resume, coroutine.yield, coroutine.status, coroutine.running
local raw_pcall, raw_xpcall, error, type = pcall, xpcall, error, type
local sub, gsub = string.sub, string.gsub

-- fix mends the position of an error that a standard Go function, called
-- by pcall directly, raised: it would name this prelude (from the main
-- thread) or nothing (from a coroutine). sockshell's own functions name
-- their caller themselves.
local function fix(ok, msg, ...)
  if ok or type(msg) ~= "string" then return ok, msg, ... end
  if sub(msg, 1, 9) == "=prelude:" then
    msg = gsub(msg, "^=prelude:%d+: ", "", 1)
  elseif sub(msg, 1, 1) == " " then
    msg = sub(msg, 2)
  end
  return false, msg, ...
end

-- pass hands a WAIT yield of co up to whoever resumed us, then resumes co
-- with what comes back.
local function pass(co, ok, first, ...)
  if ok and first == WAIT and status(co) == "suspended" then
    return pass(co, resume(co, yield(WAIT)))
  end
  return ok, first, ...
end

coroutine.resume = function(co, ...)
  return pass(co, resume(co, ...))
end

local function unwrap(ok, ...)
  if not ok then error((...), 0) end
  return ...
end

coroutine.wrap = function(f)
  local co = create(f)
  return function(...) return unwrap(pass(co, resume(co, ...))) end
end

-- finish runs f's coroutine to its end, passing every yield up: a pcall
-- is transparent to yields, as in Lua 5.2.
local function finish(co, ok, ...)
  if ok and status(co) == "suspended" then
    return finish(co, resume(co, yield(...)))
  end
  return ok, ...
end

-- body runs f in a coroutine's own Lua frame: gopher-lua cannot resume a
-- coroutine whose body is a Go function that yielded.
local function body(f)
  return function(...) return f(...) end
end

pcall = function(f, ...)
  if running() == nil or type(f) ~= "function" then return fix(raw_pcall(f, ...)) end
  local co = create(body(f))
  return fix(finish(co, resume(co, ...)))
end

xpcall = function(f, handler)
  if running() == nil or type(f) ~= "function" then return raw_xpcall(f, handler) end
  local co = create(body(f))
  local function fin(ok, ...)
    if ok and status(co) == "suspended" then return fin(resume(co, yield(...))) end
    if not ok then return false, handler((...)) end
    return true, ...
  end
  return fin(resume(co))
end

-- start is a task's body: it yields once so that the scheduler can set the
-- task up, then runs f.
return function(task, ...)
  yield()
  return task(...)
end
-- (sockshell compiles every tail call as a plain call; see compile.)
