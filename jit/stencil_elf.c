/* stencil_elf.c -- the stencils of a relocatable object, with <elf.h>.
 *
 * Reads .symtab for the stencil functions (zj_st_<op>_<variant>) and the
 * .rela sections of their code.  Each relocation becomes a hole (an
 * imported zj_hole_* global), the CONTINUE tail, or a PC-relative
 * reference to data or to an external function; data sections are copied
 * once into the library's executable memory and external functions
 * (SLEEF, libc) get an indirect-jump stub there, so every rel32 from
 * copied code reaches its target.  The tail jump that ends a stencil is
 * dropped from the bytes to copy; other jumps to CONTINUE (if the compiler
 * made several exits) are pointed at the stencil's end when copied.
 */
#include "config.h"
#include "stencil.h"
#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>

static const char *const hole_syms[ZJ_HOLE_COUNT] = {
  "zj_hole_o", "zj_hole_a", "zj_hole_b", "zj_hole_t", "zj_hole_nr",
  "zj_hole_k",
};

/* Our own functions stencils call, by address: dlsym sees only what the
   dynamic symbol table exports, which a static link does not. */
static void *
own_symbol (const char *nm)
{
  if (!strcmp (nm, "zj_lmatvec_tasks_call"))
    return (void *) zj_lmatvec_tasks_call;
  return NULL;
}

#define BAD(msg) do { zj_error_set (err, "stencil object: %s", msg); goto fail; } while (0)

/* The lane library's slot for a symbol: zj_st_<op>_<variant>. */
static zj_stencil *
lane_slot (void *ctx, const char *nm)
{
  zj_stencil_lib *lib = ctx;
  int op, v;
  if (sscanf (nm, "zj_st_%d_%d", &op, &v) != 2
      || op <= 0 || op >= ZJ_NUM_OPS || v < 0 || v >= ZJ_SV_COUNT)
    return NULL;
  return &lib->st[op][v];
}

int
zj_stencil_elf_parse (zj_stencil_lib *lib, const uint8_t *img, size_t len,
                      zj_error *err)
{
  return zj_stencil_elf_parse_slots (&lib->mem, img, len, lane_slot, lib, err);
}

int
zj_stencil_elf_parse_slots (zj_execmem *mem, const uint8_t *img, size_t len,
                            zj_stencil_slot_fn slot, void *ctx, zj_error *err)
{
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *) img;
  void **symaddr = NULL;
  zj_stencil **found = NULL;
  size_t nfound = 0;
  if (len < sizeof *eh || memcmp (eh->e_ident, ELFMAG, SELFMAG)
      || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64
      || eh->e_shoff + (size_t) eh->e_shnum * sizeof (Elf64_Shdr) > len)
    {
      zj_error_set (err, "stencil object: not an x86-64 ELF object");
      return -1;
    }
  const Elf64_Shdr *sh = (const Elf64_Shdr *) (img + eh->e_shoff);
  const int nsec = eh->e_shnum;
  void *secaddr[nsec];
  const Elf64_Sym *sym = NULL;
  const char *strtab = NULL;
  size_t nsym = 0;
  for (int i = 0; i < nsec; i++)
    {
      secaddr[i] = NULL;
      if (sh[i].sh_type == SHT_SYMTAB)
        {
          sym = (const Elf64_Sym *) (img + sh[i].sh_offset);
          nsym = sh[i].sh_size / sizeof *sym;
          strtab = (const char *) img + sh[sh[i].sh_link].sh_offset;
        }
    }
  if (!sym)
    BAD ("no symbol table");
  /* Data sections (constants of the stencils) into executable memory. */
  for (int i = 0; i < nsec; i++)
    if ((sh[i].sh_flags & SHF_ALLOC) && !(sh[i].sh_flags & SHF_EXECINSTR)
        && sh[i].sh_size)
      {
        uint8_t *d = zj_execmem_alloc (mem, sh[i].sh_size,
                                       sh[i].sh_addralign ? sh[i].sh_addralign : 1);
        if (!d)
          BAD ("data does not fit");
        if (sh[i].sh_type == SHT_NOBITS)
          memset (d, 0, sh[i].sh_size);
        else
          memcpy (d, img + sh[i].sh_offset, sh[i].sh_size);
        secaddr[i] = d;
      }
  /* Stencils by symbol. */
  found = zj_xcalloc (nsym ? nsym : 1, sizeof *found);
  for (size_t s = 0; s < nsym; s++)
    {
      const char *nm = strtab + sym[s].st_name;
      zj_stencil *st;
      if (ELF64_ST_TYPE (sym[s].st_info) != STT_FUNC
          || sym[s].st_shndx == SHN_UNDEF || !(st = slot (ctx, nm)))
        continue;
      st->code = img + sh[sym[s].st_shndx].sh_offset + sym[s].st_value;
      st->size = (uint32_t) sym[s].st_size;
      found[nfound++] = st;
    }
  /* Resolved addresses of symbols: data, or a stub for a function. */
  symaddr = zj_xcalloc (nsym ? nsym : 1, sizeof *symaddr);
  for (int i = 0; i < nsec; i++)
    {
      if (sh[i].sh_type != SHT_RELA
          || !(sh[sh[i].sh_info].sh_flags & SHF_EXECINSTR))
        continue;
      const Elf64_Shdr *text = &sh[sh[i].sh_info];
      const Elf64_Rela *r = (const Elf64_Rela *) (img + sh[i].sh_offset);
      const size_t nr = sh[i].sh_size / sizeof *r;
      for (size_t j = 0; j < nr; j++)
        {
          const uint8_t *where = img + text->sh_offset + r[j].r_offset;
          const size_t si = ELF64_R_SYM (r[j].r_info);
          const unsigned type = ELF64_R_TYPE (r[j].r_info);
          zj_stencil *st = NULL;
          for (size_t f = 0; f < nfound && !st; f++)
            if (found[f]->size && where >= found[f]->code
                && where < found[f]->code + found[f]->size)
              st = found[f];
          if (!st)
            BAD ("relocation outside every stencil");
          zj_sreloc rel = { .at = (uint32_t) (where - st->code),
                            .addend = r[j].r_addend, .hole = -1 };
          const Elf64_Sym *y = &sym[si];
          const char *nm = strtab + y->st_name;
          if (y->st_shndx == SHN_UNDEF)
            {
              int h = -1;
              for (int k = 0; k < ZJ_HOLE_COUNT; k++)
                if (!strcmp (nm, hole_syms[k]))
                  h = k;
              if (h >= 0)
                {
                  if (type != R_X86_64_32S && type != R_X86_64_32)
                    BAD ("a hole is not a 32-bit absolute field");
                  rel.type = ZJ_SR_HOLE32;
                  rel.hole = (int8_t) h;
                }
              else if (!strcmp (nm, "CONTINUE"))
                {
                  if (type != R_X86_64_PLT32 && type != R_X86_64_PC32)
                    BAD ("CONTINUE is not reached by a rel32 jump");
                  rel.type = ZJ_SR_CONT;
                }
              else
                {
                  if (type != R_X86_64_PLT32 && type != R_X86_64_PC32)
                    BAD ("external reference is not rel32");
                  if (!symaddr[si])
                    {
                      void *fn = own_symbol (nm);
                      if (!fn)
                        fn = dlsym (RTLD_DEFAULT, nm);
                      uint8_t *stub = zj_execmem_alloc (mem, 16, 16);
                      if (!fn || !stub)
                        {
                          zj_error_set (err, "stencil object: cannot resolve %s", nm);
                          goto fail;
                        }
                      /* jmp *0(%rip); .quad fn */
                      static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
                      memcpy (stub, jmp, 6);
                      memcpy (stub + 6, &fn, 8);
                      symaddr[si] = stub;
                    }
                  rel.type = ZJ_SR_PC32;
                  rel.target = symaddr[si];
                }
            }
          else
            {
              if (y->st_shndx >= nsec || !secaddr[y->st_shndx])
                BAD ("reference to a section that is not data");
              if (type != R_X86_64_PC32 && type != R_X86_64_PLT32)
                BAD ("data reference is not rel32");
              rel.type = ZJ_SR_PC32;
              rel.target = (uint8_t *) secaddr[y->st_shndx]
                           + (ELF64_ST_TYPE (y->st_info) == STT_SECTION ? 0 : y->st_value);
            }
          st->rel = zj_xrealloc (st->rel, (size_t) (st->nrel + 1) * sizeof *st->rel);
          st->rel[st->nrel++] = rel;
        }
    }
  /* Drop the final tail jump: jmp rel32 (e9) whose field ends the code. */
  for (size_t f = 0; f < nfound; f++)
    {
      zj_stencil *st = found[f];
      for (int k = 0; k < st->nrel; k++)
        if (st->rel[k].type == ZJ_SR_CONT && st->size >= 5
            && st->rel[k].at == st->size - 4 && st->code[st->size - 5] == 0xe9)
          {
            st->size -= 5;
            st->rel[k] = st->rel[--st->nrel];
            break;
          }
    }
  mem->data_end = mem->used;
  free (found);
  free (symaddr);
  return 0;
fail:
  free (found);
  free (symaddr);
  return -1;
}
