# zj_gccjit.m4 -- find libgccjit.
#
# libgccjit ships no pkg-config file and its header lives in gcc's private
# include directory (found by gcc without -I, not by other compilers), so we
# ask the compiler for that directory and try it too.
#
# ZJ_CHECK_GCCJIT: honours --with-jit / --without-jit; sets zj_with_jit,
# GCCJIT_CFLAGS, GCCJIT_LIBS and defines HAVE_JIT.
AC_DEFUN([ZJ_CHECK_GCCJIT], [
  AC_ARG_WITH([jit],
    [AS_HELP_STRING([--without-jit], [build the core only, without the libgccjit tier])],
    [], [with_jit=check])
  zj_with_jit=no
  GCCJIT_CFLAGS=
  GCCJIT_LIBS=
  AS_IF([test "x$with_jit" != xno], [
    zj_gcc_incdir=`$CC -print-file-name=include 2>/dev/null`
    zj_save_CPPFLAGS=$CPPFLAGS
    AS_IF([test -n "$zj_gcc_incdir" && test -d "$zj_gcc_incdir"],
      [GCCJIT_CFLAGS="-I$zj_gcc_incdir"])
    CPPFLAGS="$CPPFLAGS $GCCJIT_CFLAGS"
    zj_have_hdr=no
    AC_CHECK_HEADER([libgccjit.h], [zj_have_hdr=yes])
    CPPFLAGS=$zj_save_CPPFLAGS
    zj_save_LIBS=$LIBS
    zj_have_lib=no
    AC_CHECK_LIB([gccjit], [gcc_jit_context_acquire], [zj_have_lib=yes])
    LIBS=$zj_save_LIBS
    AS_IF([test "x$zj_have_hdr$zj_have_lib" = xyesyes],
      [zj_with_jit=yes
       GCCJIT_LIBS="-lgccjit"
       AC_DEFINE([HAVE_JIT], [1], [Define if the libgccjit tier is built.])],
      [AS_IF([test "x$with_jit" = xyes],
         [AC_MSG_ERROR([libgccjit not found: apt-get install libgccjit-12-dev])],
         [AC_MSG_WARN([libgccjit not found: building without the JIT tier])])])
  ])
  AC_SUBST([GCCJIT_CFLAGS])
  AC_SUBST([GCCJIT_LIBS])
])
