// The heap allocator, following OPA's model: a bump allocator whose pointer the
// SDK saves and restores (opa_heap_ptr_get/set) to drop everything an evaluation
// allocated. Each block carries an 8-byte header holding its size so that freeing
// (and growing) the most recent block can reuse its space.

// Set by the emitter (rewriting this global's initial value) to the aligned end
// of its static data; 0 means "right after the runtime's own data".
export let capgate_heap_base: usize = 0;

// The deadline check. Every long evaluation allocates (values for scanned keys,
// arithmetic, collections), so the allocator is where it is noticed: every
// CHECK_EVERY allocations it calls the host's `$capgate.deadline` built-in,
// which throws once the evaluation is past its deadline and so unwinds it.
// A host that provides the built-in sets this exported global to its id in
// builtins() after instantiating; -1 (the plain SDK) never checks.
export let capgate_deadline_builtin: i32 = -1;

// @ts-ignore: decorator
@external("env", "opa_builtin0")
declare function opa_builtin0(id: i32, ctx: i32): i32;

// @ts-ignore: decorator
@inline const CHECK_EVERY_MASK: u32 = 4095;

let allocations: u32 = 0;

let heap_ptr: usize = 0;

// @ts-ignore: decorator
@inline const HEADER: usize = 8;

// @ts-ignore: decorator
@inline function heapStart(): usize {
  return capgate_heap_base != 0 ? capgate_heap_base : (__heap_base + 15) & ~15;
}

// @ts-ignore: decorator
@inline function ensureInit(): void {
  if (heap_ptr == 0) heap_ptr = heapStart();
}

// The memory's size in bytes when last looked at: memory only grows, so an
// allocation that ends below it needs no look (the SDK may have grown it since).
let known_size: usize = 0;

// @ts-ignore: decorator
@inline function growTo(end: usize): void {
  if (end > known_size) grow(end);
}

function grow(end: usize): void {
  let have = (<usize>memory.size()) << 16;
  known_size = have;
  if (end <= have) return;
  let need = <i32>((end - have + 0xffff) >>> 16);
  // Grow at least by the current size to amortise repeated small growths.
  let want = max<i32>(need, memory.size());
  if (memory.grow(want) < 0 && memory.grow(need) < 0) unreachable();
  known_size = (<usize>memory.size()) << 16;
}

export function opa_malloc(size: usize): usize {
  return alloc(size);
}

// opa_malloc's body, inlined where the runtime allocates values (strings,
// numbers, table entries): a call per value was a tenth of parsing an input.
// @ts-ignore: decorator
@inline export function alloc(size: usize): usize {
  ensureInit();
  if ((++allocations & CHECK_EVERY_MASK) == 0 && capgate_deadline_builtin >= 0) opa_builtin0(capgate_deadline_builtin, 0);
  // The SDK may set an unaligned heap pointer (input text length); realign.
  let block = (heap_ptr + 7) & ~7;
  let ptr = block + HEADER;
  let end = (ptr + size + 7) & ~7;
  growTo(end);
  store<u32>(block, <u32>(end - ptr));
  heap_ptr = end;
  return ptr;
}

/** Allocate and zero. */
export function calloc(size: usize): usize {
  let p = opa_malloc(size);
  memory.fill(p, 0, size);
  return p;
}

export function opa_free(ptr: usize): void {
  if (ptr == 0) return;
  let size = <usize>load<u32>(ptr - HEADER);
  if (ptr + size == heap_ptr) heap_ptr = ptr - HEADER;
}

/** Resize a block: extends in place when it is the last one, else copies. */
export function realloc(ptr: usize, oldSize: usize, newSize: usize): usize {
  if (ptr == 0) return opa_malloc(newSize);
  let size = <usize>load<u32>(ptr - HEADER);
  if (newSize <= size) return ptr;
  if (ptr + size == heap_ptr) {
    let end = (ptr + newSize + 7) & ~7;
    growTo(end);
    store<u32>(ptr - HEADER, <u32>(end - ptr));
    heap_ptr = end;
    return ptr;
  }
  let n = opa_malloc(newSize);
  memory.copy(n, ptr, oldSize);
  return n;
}

export function opa_heap_ptr_get(): usize {
  ensureInit();
  return heap_ptr;
}

export function opa_heap_ptr_set(ptr: usize): void {
  heap_ptr = ptr;
}
