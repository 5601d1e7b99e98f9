/// Sets a POSIX access ACL on `path` (python3's os.setxattr, so the `acl` package is not needed): the
/// owner rwx, group and others r-x, plus `user:UID:---` for each of `deniedUIDs`.
public func denyByACL(_ path: String, uids deniedUIDs: [UInt32]) throws {
    let script = """
        import os, struct, sys
        e = lambda tag, perm, id=0xFFFFFFFF: struct.pack("<HHI", tag, perm, id)
        acl = struct.pack("<I", 2) + e(0x01, 7) + b"".join(e(0x02, 0, int(u)) for u in sys.argv[2:])
        acl += e(0x04, 5) + e(0x10, 5) + e(0x20, 5)
        os.setxattr(sys.argv[1], "system.posix_acl_access", acl)
        """
    try run(["python3", "-c", script, path] + deniedUIDs.map(String.init))
}
