//! Who a user is, from the user database (`getpwuid_r`): the name of a
//! file's owner for messages, and the home directory when `HOME` is unset
//! or not absolute. Never on a warm path.

/// The login name of `uid`, from the user database.
pub fn user_name(uid: u32) -> Option<String> {
    passwd_field(uid, |p| p.pw_name)
}

/// The home directory of the user dsops runs as, from the user database
/// (for when `HOME` is unset or not an absolute path).
pub fn user_home() -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let dir = passwd_field(super::current_uid(), |p| p.pw_dir)?;
    let dir = std::path::PathBuf::from(std::ffi::OsString::from_vec(dir.into_bytes()));
    dir.is_absolute().then_some(dir)
}

/// One string field of `uid`'s passwd entry.
fn passwd_field(uid: u32, field: fn(&libc::passwd) -> *mut libc::c_char) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value to be filled in.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and `buf` for its length.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() {
        return None;
    }
    let ptr = field(&pwd);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r filled `pwd` with NUL-terminated strings inside `buf`,
    // which is still alive.
    let s = unsafe { std::ffi::CStr::from_ptr(ptr) };
    String::from_utf8(s.to_bytes().to_vec()).ok()
}
