// The process-wide libvirt event loop (one thread running virEventRunDefaultImpl) and the single
// thread-safe function through which everything seen there reaches JavaScript.
#include <chrono>
#include <mutex>
#include <thread>

#include "common.h"

namespace drover {

namespace {

Napi::ThreadSafeFunction g_tsfn;
std::atomic<bool> g_tsfnReady{false};
// Guards posting against environment teardown: the event loop thread may still be delivering
// while Node exits. Heap-allocated so it outlives static destruction at exit.
std::mutex& PostMutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}
int g_holds = 0;  // JS thread only
napi_env g_env = nullptr;

void StartEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    virEventRegisterDefaultImpl();
    std::thread([] {
      for (;;) {
        if (virEventRunDefaultImpl() < 0) {
          virResetLastError();
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    }).detach();
  });
}

// A plain copy of the domain an event is about.
struct DomainId {
  std::string name;
  std::string uuid;
  int id = -1;
};

DomainId IdOf(virDomainPtr dom) {
  DomainId d;
  const char* n = virDomainGetName(dom);
  if (n) d.name = n;
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virDomainGetUUIDString(dom, uuid) == 0) d.uuid = uuid;
  unsigned int id = virDomainGetID(dom);
  d.id = id == static_cast<unsigned int>(-1) ? -1 : static_cast<int>(id);
  virResetLastError();
  return d;
}

// Builds the common part of a domain event and hands the rest to `fill` on the JS thread.
void PostDomainEvent(uint32_t connId, const char* type, virDomainPtr dom,
                     std::function<void(Napi::Env, Napi::Object&)> fill) {
  DomainId d = IdOf(dom);
  std::string t(type);
  Post([connId, t, d, fill](Napi::Env env, Napi::Function fn) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("kind", "domain");
    ev.Set("conn", Napi::Number::New(env, connId));
    ev.Set("type", t);
    Napi::Object dom = Napi::Object::New(env);
    dom.Set("name", d.name);
    dom.Set("uuid", d.uuid);
    dom.Set("id", Napi::Number::New(env, d.id));
    ev.Set("domain", dom);
    if (fill) fill(env, ev);
    fn.Call({ev});
  });
}

uint32_t ConnIdOf(void* opaque) { return *static_cast<uint32_t*>(opaque); }
void FreeConnId(void* opaque) { delete static_cast<uint32_t*>(opaque); }

void OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  PostDomainEvent(ConnIdOf(opaque), "lifecycle", dom, [event, detail](Napi::Env env, Napi::Object& ev) {
    ev.Set("event", Napi::Number::New(env, event));
    ev.Set("detail", Napi::Number::New(env, detail));
  });
}

void OnReboot(virConnectPtr, virDomainPtr dom, void* opaque) {
  PostDomainEvent(ConnIdOf(opaque), "reboot", dom, nullptr);
}

void OnMigrationIteration(virConnectPtr, virDomainPtr dom, int iteration, void* opaque) {
  PostDomainEvent(ConnIdOf(opaque), "migration-iteration", dom, [iteration](Napi::Env env, Napi::Object& ev) {
    ev.Set("iteration", Napi::Number::New(env, iteration));
  });
}

void OnJobCompleted(virConnectPtr, virDomainPtr dom, virTypedParameterPtr params, int nparams, void* opaque) {
  std::vector<TypedValue> stats = CopyTypedParams(params, nparams);
  PostDomainEvent(ConnIdOf(opaque), "job-completed", dom, [stats](Napi::Env env, Napi::Object& ev) {
    ev.Set("stats", TypedParamsToJs(env, stats));
  });
}

void OnDeviceRemoved(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
  std::string a = alias ? alias : "";
  PostDomainEvent(ConnIdOf(opaque), "device-removed", dom, [a](Napi::Env env, Napi::Object& ev) {
    ev.Set("device", a);
  });
}

void OnDeviceAdded(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
  std::string a = alias ? alias : "";
  PostDomainEvent(ConnIdOf(opaque), "device-added", dom, [a](Napi::Env env, Napi::Object& ev) {
    ev.Set("device", a);
  });
}

void OnClose(virConnectPtr, int reason, void* opaque) {
  uint32_t id = ConnIdOf(opaque);
  Post([id, reason](Napi::Env env, Napi::Function fn) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("kind", "close");
    ev.Set("conn", Napi::Number::New(env, id));
    ev.Set("reason", Napi::Number::New(env, reason));
    fn.Call({ev});
  });
}

struct EventSpec {
  int id;
  virConnectDomainEventGenericCallback cb;
};

Napi::Value SetDispatcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "dispatcher must be a function");
  if (g_tsfnReady) throw Napi::Error::New(env, "the event dispatcher is already set");
  g_tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "drover-libvirt-events", 0, 1);
  g_tsfn.Unref(env);
  g_env = env;
  {
    std::lock_guard<std::mutex> lock(PostMutex());
    g_tsfnReady = true;
  }
  // Runs before Node finalizes the thread-safe function (hooks run in reverse order).
  napi_add_env_cleanup_hook(env, [](void*) {
    std::lock_guard<std::mutex> lock(PostMutex());
    g_tsfnReady = false;
  }, nullptr);
  return env.Undefined();
}

}  // namespace

bool Post(Delivery d) {
  std::lock_guard<std::mutex> lock(PostMutex());
  if (!g_tsfnReady) return false;
  auto* p = new Delivery(std::move(d));
  napi_status s = g_tsfn.NonBlockingCall(p, [](Napi::Env env, Napi::Function fn, Delivery* dp) {
    std::unique_ptr<Delivery> own(dp);
    if (env != nullptr && !fn.IsEmpty()) (*own)(env, fn);
  });
  if (s != napi_ok) {
    delete p;
    return false;
  }
  return true;
}

void HoldLoop() {
  if (g_holds++ == 0 && g_tsfnReady) g_tsfn.Ref(g_env);
}

void ReleaseLoop() {
  if (g_holds > 0 && --g_holds == 0 && g_tsfnReady) g_tsfn.Unref(g_env);
}

void RegisterConnEvents(ConnState& st, bool domainEvents) {
  if (virConnectRegisterCloseCallback(st.conn, OnClose, new uint32_t(st.id), FreeConnId) == 0)
    st.closeCallback = true;
  else
    virResetLastError();  // some drivers (test) have no close callback; nothing to report
  if (!domainEvents) return;
  const EventSpec specs[] = {
      {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle)},
      {VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(OnReboot)},
      {VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION, VIR_DOMAIN_EVENT_CALLBACK(OnMigrationIteration)},
      {VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_CALLBACK(OnJobCompleted)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(OnDeviceRemoved)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(OnDeviceAdded)},
  };
  for (const auto& s : specs) {
    int cid = virConnectDomainEventRegisterAny(st.conn, nullptr, s.id, s.cb, new uint32_t(st.id), FreeConnId);
    if (cid >= 0)
      st.domainCallbacks.push_back(cid);
    else
      virResetLastError();
  }
}

void DeregisterConnEvents(ConnState& st) {
  if (st.conn == nullptr) return;
  for (int cid : st.domainCallbacks) virConnectDomainEventDeregisterAny(st.conn, cid);
  st.domainCallbacks.clear();
  if (st.closeCallback) virConnectUnregisterCloseCallback(st.conn, OnClose);
  st.closeCallback = false;
  virResetLastError();
}

void InitEvents(Napi::Env env, Napi::Object exports) {
  virInitialize();
  // libvirt prints every error to stderr unless a handler is set; errors reach JS instead.
  virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
  StartEventLoop();
  exports.Set("setDispatcher", Napi::Function::New(env, SetDispatcher, "setDispatcher"));
  exports.Set("holdLoop", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    HoldLoop();
    return info.Env().Undefined();
  }, "holdLoop"));
  exports.Set("releaseLoop", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    ReleaseLoop();
    return info.Env().Undefined();
  }, "releaseLoop"));
  exports.Set("liveHandles", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    Napi::Object o = Napi::Object::New(e);
    for (int k = 0; k < static_cast<int>(Kind::Count); k++)
      o.Set(KindName(static_cast<Kind>(k)), Napi::Number::New(e, static_cast<double>(LiveCount(static_cast<Kind>(k)))));
    return o;
  }, "liveHandles"));
}

}  // namespace drover
