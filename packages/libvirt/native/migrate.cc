// Migration. One call can last as long as the whole migration, so each runs on a thread of its
// own (never libuv's pool, which eight concurrent migrations would otherwise exhaust) and settles
// its promise through a thread-safe function of its own.
#include <thread>

#include "common.h"
#include "helpers.h"

namespace drover {

namespace {

struct Param {
  std::string name;
  std::string type;  // string | int | uint | llong | ullong | double | boolean
  std::string text;
  double number = 0;
};

struct MigrateTask {
  std::shared_ptr<DomRef> dom;
  std::shared_ptr<ConnRef> dest;             // virDomainMigrate3 only
  std::shared_ptr<ConnState> destState;      // to wrap the domain returned by virDomainMigrate3
  std::string dconnuri;
  bool hasDconnuri = false;
  std::vector<Param> params;
  unsigned int flags = 0;
  bool failed = false;
  LvError err;
  ChildInfo result;
  bool hasResult = false;
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  explicit MigrateTask(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

std::vector<Param> ReadParams(Napi::Env env, Napi::Value v) {
  std::vector<Param> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) throw Napi::TypeError::New(env, "params must be an array of {name, type, value}");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "each param must be an object");
    Napi::Object o = e.As<Napi::Object>();
    Param p;
    p.name = o.Get("name").ToString().Utf8Value();
    p.type = o.Get("type").ToString().Utf8Value();
    Napi::Value val = o.Get("value");
    if (p.type == "string")
      p.text = val.ToString().Utf8Value();
    else if (p.type == "boolean")
      p.number = val.ToBoolean() ? 1 : 0;
    else if (val.IsNumber())
      p.number = val.As<Napi::Number>().DoubleValue();
    else
      throw Napi::TypeError::New(env, "param " + p.name + " must be a number");
    out.push_back(p);
  }
  return out;
}

// Builds libvirt typed parameters (on the migration thread).
void BuildParams(const std::vector<Param>& in, virTypedParameterPtr* params, int* n) {
  int max = 0;
  for (const Param& p : in) {
    int r = 0;
    const char* k = p.name.c_str();
    if (p.type == "string")
      r = virTypedParamsAddString(params, n, &max, k, p.text.c_str());
    else if (p.type == "int")
      r = virTypedParamsAddInt(params, n, &max, k, static_cast<int>(p.number));
    else if (p.type == "uint")
      r = virTypedParamsAddUInt(params, n, &max, k, static_cast<unsigned int>(p.number));
    else if (p.type == "llong")
      r = virTypedParamsAddLLong(params, n, &max, k, static_cast<long long>(p.number));
    else if (p.type == "ullong")
      r = virTypedParamsAddULLong(params, n, &max, k, static_cast<unsigned long long>(p.number));
    else if (p.type == "double")
      r = virTypedParamsAddDouble(params, n, &max, k, p.number);
    else if (p.type == "boolean")
      r = virTypedParamsAddBoolean(params, n, &max, k, p.number != 0);
    else
      FailWith(VIR_ERR_INVALID_ARG, VIR_FROM_NONE, "unknown parameter type '" + p.type + "' for " + p.name);
    if (r < 0) Fail("virTypedParamsAdd");
  }
}

void RunMigration(MigrateTask* t) {
  virTypedParameterPtr params = nullptr;
  int n = 0;
  try {
    BuildParams(t->params, &params, &n);
    if (t->dest) {
      virDomainPtr d = virDomainMigrate3(t->dom->p, t->dest->p, params, static_cast<unsigned int>(n), t->flags);
      if (d == nullptr) Fail("virDomainMigrate3");
      t->result = DomainChild(d);
      t->hasResult = true;
    } else {
      if (virDomainMigrateToURI3(t->dom->p, t->hasDconnuri ? t->dconnuri.c_str() : nullptr, params,
                                 static_cast<unsigned int>(n), t->flags) < 0)
        Fail("virDomainMigrateToURI3");
    }
  } catch (const LvFailure& f) {
    t->failed = true;
    t->err = f.err;
  }
  if (params) virTypedParamsFree(params, n);
  virResetLastError();
  t->dom.reset();
  t->dest.reset();
  Napi::ThreadSafeFunction tsfn = t->tsfn;
  napi_status s = tsfn.BlockingCall(t, [](Napi::Env env, Napi::Function, MigrateTask* task) {
    std::unique_ptr<MigrateTask> own(task);
    if (env == nullptr) return;
    if (task->failed) {
      task->deferred.Reject(ErrorToJs(env, task->err));
    } else if (task->hasResult) {
      task->deferred.Resolve(WrapChild(env, task->destState, task->result));
    } else {
      task->deferred.Resolve(env.Undefined());
    }
  });
  if (s != napi_ok) delete t;
  tsfn.Release();
}

Napi::Value Start(const Napi::CallbackInfo& info, bool toUri) {
  Napi::Env env = info.Env();
  HandleRef dom = GetHandle(info, 0, Kind::Domain);
  auto t = std::make_unique<MigrateTask>(env);
  if (toUri) {
    t->dconnuri = ArgOptString(info, 1, &t->hasDconnuri);
  } else {
    HandleRef dest = GetHandle(info, 1, Kind::Connection);
    t->dest = RefConn(dest);
    t->destState = dest->conn;
  }
  t->params = ReadParams(env, info[2]);
  t->flags = ArgFlags(info, 3);
  t->dom = RefDomain(dom);
  t->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                          "drover:libvirt:migrate", 0, 1);
  Napi::Promise p = t->deferred.Promise();
  MigrateTask* raw = t.release();
  std::thread(RunMigration, raw).detach();
  return p;
}

Napi::Value MigrateToURI3(const Napi::CallbackInfo& info) { return Start(info, true); }
Napi::Value Migrate3(const Napi::CallbackInfo& info) { return Start(info, false); }

}  // namespace

void InitMigrate(Napi::Env env, Napi::Object exports) {
  exports.Set("domMigrateToURI3", Napi::Function::New(env, MigrateToURI3, "domMigrateToURI3"));
  exports.Set("domMigrate3", Napi::Function::New(env, Migrate3, "domMigrate3"));
}

}  // namespace drover
