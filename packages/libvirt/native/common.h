// Shared machinery of the drover libvirt binding: error capture, opaque handles, the promise
// worker that runs each blocking call off the JS thread, the reaper thread that frees handles
// dropped by the garbage collector, and the single event-delivery channel to JavaScript.
#pragma once

#include <napi.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace drover {

// ---- errors ---------------------------------------------------------------------------------

// A copy of a virError, taken on the thread where the call failed.
struct LvError {
  int code = VIR_ERR_INTERNAL_ERROR;
  int domain = VIR_FROM_NONE;
  int level = VIR_ERR_ERROR;
  std::string message;
  std::string str1, str2, str3;
  int int1 = 0, int2 = 0;
};

// Thrown inside worker code; the worker turns it into a rejected promise.
struct LvFailure {
  LvError err;
};

// Copies the calling thread's last libvirt error (or a generic one naming `what` when libvirt
// recorded nothing) and resets it.
LvError CaptureLastError(const char* what);
[[noreturn]] void Fail(const char* what);
[[noreturn]] void FailWith(int code, int domain, const std::string& message);
Napi::Object ErrorToJs(Napi::Env env, const LvError& e);
// Throws (as a JS exception) an error shaped like a libvirt error.
[[noreturn]] void ThrowLv(Napi::Env env, int code, int domain, const std::string& message);

// ---- handles --------------------------------------------------------------------------------

enum class Kind : int { Connection = 0, Domain, Pool, Volume, Stream, Count };
const char* KindName(Kind k);
void CountUp(Kind k);
void CountDown(Kind k);
int64_t LiveCount(Kind k);

struct Handle;

// What a connection handle and every object obtained through it share.
struct ConnState {
  uint32_t id = 0;
  std::atomic<bool> closed{false};
  virConnectPtr conn = nullptr;      // the handle's own reference; owned by the connection Handle
  std::vector<int> domainCallbacks;  // ids from virConnectDomainEventRegisterAny
  bool closeCallback = false;
  // Children (domains, pools, volumes, streams) released when the connection closes. Only
  // touched on the JS thread.
  std::vector<std::weak_ptr<Handle>> children;
  size_t pruneAt = 64;
};

struct StreamCtx;

// The native side of every opaque handle JavaScript holds. `ptr` holds one libvirt reference and
// is read and cleared only on the JS thread; work queued elsewhere takes its own reference.
struct Handle {
  Kind kind;
  void* ptr = nullptr;
  std::shared_ptr<ConnState> conn;
  std::shared_ptr<StreamCtx> stream;  // streams only
};

using HandleRef = std::shared_ptr<Handle>;

// Wraps a handle into a tagged External whose finalizer releases it on the reaper thread.
Napi::Value WrapHandle(Napi::Env env, HandleRef h);
// Adds a child to its connection so closing the connection releases it.
void AdoptChild(const HandleRef& h);
// Reads a handle argument; throws a TypeError for a wrong value and a libvirt-shaped error when
// the handle or its connection was closed.
HandleRef GetHandle(const Napi::CallbackInfo& info, size_t index, Kind kind);
// The handle inside a value, or null when the value is not one of ours.
HandleRef PeekHandle(Napi::Value v);
// Takes the pointer out of the handle and returns the code that frees it (to run off the JS thread).
std::function<void()> DetachRelease(Handle& h);
// The release code of a console stream (see stream.cc).
std::function<void()> StreamReleaseFn(const std::shared_ptr<StreamCtx>& ctx, virStreamPtr st);
// Runs release code on the reaper thread (for handles dropped by the GC).
void Reap(std::function<void()> fn);

// Extra libvirt references for work on other threads; the reference drops with the holder.
struct ConnRef {
  virConnectPtr p = nullptr;
  explicit ConnRef(virConnectPtr c);
  ~ConnRef();
};
struct DomRef {
  virDomainPtr p = nullptr;
  explicit DomRef(virDomainPtr d);
  ~DomRef();
};
struct PoolRef {
  virStoragePoolPtr p = nullptr;
  explicit PoolRef(virStoragePoolPtr d);
  ~PoolRef();
};
struct VolRef {
  virStorageVolPtr p = nullptr;
  explicit VolRef(virStorageVolPtr d);
  ~VolRef();
};
std::shared_ptr<ConnRef> RefConn(const HandleRef& h);
std::shared_ptr<DomRef> RefDomain(const HandleRef& h);
std::shared_ptr<PoolRef> RefPool(const HandleRef& h);
std::shared_ptr<VolRef> RefVol(const HandleRef& h);

// ---- promise worker -------------------------------------------------------------------------

// Builds the JS result on the JS thread from plain values captured by the worker.
using Builder = std::function<Napi::Value(Napi::Env)>;
// Runs on a libuv pool thread; touches only what it captured (plain copies and references).
using Exec = std::function<Builder()>;

Napi::Promise Run(Napi::Env env, const char* name, Exec exec);

// ---- argument helpers -----------------------------------------------------------------------

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
std::string ArgOptString(const Napi::CallbackInfo& info, size_t i, bool* present);
unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* what);
uint64_t ArgU64(const Napi::CallbackInfo& info, size_t i, const char* what);

// ---- typed parameters -----------------------------------------------------------------------

struct TypedValue {
  std::string name;
  int type = 0;  // VIR_TYPED_PARAM_*
  double number = 0;
  std::string text;
};
std::vector<TypedValue> CopyTypedParams(virTypedParameterPtr params, int n);
Napi::Object TypedParamsToJs(Napi::Env env, const std::vector<TypedValue>& values);

// ---- delivery to JavaScript -----------------------------------------------------------------

// Work posted from any thread, run on the JS thread with the dispatcher function registered by
// native.ts. Returns false when the environment is going away.
using Delivery = std::function<void(Napi::Env, Napi::Function)>;
bool Post(Delivery d);
// Keeps the process alive while something (an open console stream) is waiting for deliveries.
void HoldLoop();
void ReleaseLoop();

void InitEvents(Napi::Env env, Napi::Object exports);
void InitConnection(Napi::Env env, Napi::Object exports);
void InitDomain(Napi::Env env, Napi::Object exports);
void InitMigrate(Napi::Env env, Napi::Object exports);
void InitStorage(Napi::Env env, Napi::Object exports);
void InitStream(Napi::Env env, Napi::Object exports);

// Registers the domain event callbacks and the close callback of a fresh connection (worker thread).
void RegisterConnEvents(ConnState& st, bool domainEvents);
// Undoes RegisterConnEvents (worker or reaper thread).
void DeregisterConnEvents(ConnState& st);

}  // namespace drover
