// A first-fit free-list allocator over a range of WebAssembly linear memory (byte offsets).
// Blocks are 64-byte aligned (a cache line; every v128 access is aligned). Freed blocks are
// merged with their neighbours. The allocator knows nothing about the memory itself: the runtime
// grows the memory and hands the new bytes over with `extend`.

export const ALIGN = 64;

export class FreeListAllocator {
  /** Free blocks as parallel arrays sorted by offset. */
  private offs: number[] = [];
  private sizes: number[] = [];
  private used = 0;

  constructor(start: number, end: number) {
    start = Math.ceil(start / ALIGN) * ALIGN;
    if (end > start) this.release(start, end - start);
  }

  /** Bytes currently handed out. */
  get bytesInUse(): number {
    return this.used;
  }

  /** Offset of a new block of at least `bytes`, or −1 if no free block is large enough. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.offs.length; i++) {
      if (this.sizes[i]! >= size) {
        const off = this.offs[i]!;
        if (this.sizes[i] === size) {
          this.offs.splice(i, 1);
          this.sizes.splice(i, 1);
        } else {
          this.offs[i] = off + size;
          this.sizes[i] = this.sizes[i]! - size;
        }
        this.used += size;
        return off;
      }
    }
    return -1;
  }

  /** Returns a block obtained from alloc(bytes). */
  free(off: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.used -= size;
    this.release(off, size);
  }

  /** Adds fresh memory [start, end) (after the memory grew). */
  extend(start: number, end: number): void {
    this.release(start, end - start);
  }

  private release(off: number, size: number): void {
    // insertion point: first block after off
    let lo = 0;
    let hi = this.offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offs[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    this.offs.splice(lo, 0, off);
    this.sizes.splice(lo, 0, size);
    // merge with the next block, then with the previous one
    if (lo + 1 < this.offs.length && off + size === this.offs[lo + 1]) {
      this.sizes[lo] = this.sizes[lo]! + this.sizes[lo + 1]!;
      this.offs.splice(lo + 1, 1);
      this.sizes.splice(lo + 1, 1);
    }
    if (lo > 0 && this.offs[lo - 1]! + this.sizes[lo - 1]! === off) {
      this.sizes[lo - 1] = this.sizes[lo - 1]! + this.sizes[lo]!;
      this.offs.splice(lo, 1);
      this.sizes.splice(lo, 1);
    }
  }
}
