/* Test support for running dsops.exe under Wine 8: Rust's std (1.78 and
 * later) takes its random numbers from ProcessPrng in bcryptprimitives.dll,
 * which Wine 8 does not have. This DLL, placed beside the .exe, exports it
 * over RtlGenRandom (SystemFunction036 in advapi32), which Wine has.
 * Build: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll \
 *        wine-bcryptprimitives.c -ladvapi32
 * Not part of dsops: Windows itself has ProcessPrng since Windows 10. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
