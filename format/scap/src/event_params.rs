// Parameters of every PPM event code (falcosecurity/libs driver/event_table.c
// at 48dfd53, the newest layout: older files carry a prefix), reduced to what
// the importer takes from events it has no specific conversion for: each
// parameter's name and class (F fd, E errno, I signed and U unsigned raw
// integer, S string, - other: PPM-encoded flags, buffers, addresses, ...).
// Generated from the public table's names and types only; see SCAP.md.
pub(crate) static EVENT_PARAMS: [&[(&str, u8)]; 454] = [
    &[("ID", b'-'), ("nativeID", b'U')],                // 0 syscall
    &[("ID", b'-'), ("nativeID", b'U')],                // 1 syscall
    &[("name", b'S'), ("flags", b'-'), ("mode", b'U')], // 2 open
    &[
        ("fd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
        ("dev", b'U'),
        ("ino", b'U'),
    ], // 3 open
    &[("fd", b'F')],                                    // 4 close
    &[("res", b'E'), ("fd", b'F')],                     // 5 close
    &[("fd", b'F'), ("size", b'U')],                    // 6 read
    &[("res", b'E'), ("data", b'-'), ("fd", b'F'), ("size", b'U')], // 7 read
    &[("fd", b'F'), ("size", b'U')],                    // 8 write
    &[("res", b'E'), ("data", b'-'), ("fd", b'F'), ("size", b'U')], // 9 write
    &[("size", b'U')],                                  // 10 brk
    &[("res", b'U')],                                   // 11 brk
    &[],                                                // 12 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
    ], // 13 execve
    &[],                                                // 14 clone
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 15 clone
    &[],                                                // 16 procexit
    &[],                                                // 17 NA
    &[("domain", b'-'), ("type", b'U'), ("proto", b'U')], // 18 socket
    &[
        ("fd", b'F'),
        ("domain", b'-'),
        ("type", b'U'),
        ("proto", b'U'),
        ("flags", b'-'),
    ], // 19 socket
    &[("fd", b'F')],                                    // 20 bind
    &[("res", b'E'), ("addr", b'-'), ("fd", b'F')],     // 21 bind
    &[("fd", b'F'), ("addr", b'-')],                    // 22 connect
    &[("res", b'E'), ("tuple", b'-'), ("fd", b'F'), ("addr", b'-')], // 23 connect
    &[("fd", b'F'), ("backlog", b'I')],                 // 24 listen
    &[("res", b'E'), ("fd", b'F'), ("backlog", b'I')],  // 25 listen
    &[],                                                // 26 accept
    &[("fd", b'F'), ("tuple", b'-'), ("queuepct", b'U')], // 27 accept
    &[("fd", b'F'), ("size", b'U')],                    // 28 send
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("tuple", b'-'),
    ], // 29 send
    &[("fd", b'F'), ("size", b'U'), ("tuple", b'-')],   // 30 sendto
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("tuple", b'-'),
    ], // 31 sendto
    &[("fd", b'F'), ("size", b'U')],                    // 32 recv
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("tuple", b'-'),
    ], // 33 recv
    &[("fd", b'F'), ("size", b'U')],                    // 34 recvfrom
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("tuple", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
    ], // 35 recvfrom
    &[("fd", b'F'), ("how", b'-')],                     // 36 shutdown
    &[("res", b'E'), ("fd", b'F'), ("how", b'-')],      // 37 shutdown
    &[],                                                // 38 getsockname
    &[],                                                // 39 getsockname
    &[],                                                // 40 getpeername
    &[],                                                // 41 getpeername
    &[("domain", b'-'), ("type", b'U'), ("proto", b'U')], // 42 socketpair
    &[
        ("res", b'E'),
        ("fd1", b'F'),
        ("fd2", b'F'),
        ("source", b'U'),
        ("peer", b'U'),
        ("domain", b'-'),
        ("type", b'U'),
        ("proto", b'U'),
    ], // 43 socketpair
    &[],                                                // 44 setsockopt
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("level", b'-'),
        ("optname", b'-'),
        ("val", b'-'),
        ("optlen", b'U'),
    ], // 45 setsockopt
    &[],                                                // 46 getsockopt
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("level", b'-'),
        ("optname", b'-'),
        ("val", b'-'),
        ("optlen", b'U'),
    ], // 47 getsockopt
    &[("fd", b'F'), ("size", b'U'), ("tuple", b'-')],   // 48 sendmsg
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("tuple", b'-'),
    ], // 49 sendmsg
    &[],                                                // 50 sendmmsg
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("size", b'U'),
        ("data", b'-'),
        ("tuple", b'-'),
    ], // 51 sendmmsg
    &[("fd", b'F')],                                    // 52 recvmsg
    &[
        ("res", b'E'),
        ("size", b'U'),
        ("data", b'-'),
        ("tuple", b'-'),
        ("msgcontrol", b'-'),
        ("fd", b'F'),
    ], // 53 recvmsg
    &[],                                                // 54 recvmmsg
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("size", b'U'),
        ("data", b'-'),
        ("tuple", b'-'),
        ("msgcontrol", b'-'),
    ], // 55 recvmmsg
    &[("flags", b'I')],                                 // 56 accept
    &[("fd", b'F'), ("tuple", b'-'), ("queuepct", b'U')], // 57 accept
    &[("name", b'S'), ("mode", b'U')],                  // 58 creat
    &[
        ("fd", b'F'),
        ("name", b'S'),
        ("mode", b'U'),
        ("dev", b'U'),
        ("ino", b'U'),
        ("creat_flags", b'-'),
    ], // 59 creat
    &[],                                                // 60 pipe
    &[("res", b'E'), ("fd1", b'F'), ("fd2", b'F'), ("ino", b'U')], // 61 pipe
    &[("initval", b'U'), ("flags", b'U')],              // 62 eventfd
    &[("res", b'F'), ("initval", b'U'), ("flags", b'U')], // 63 eventfd
    &[("addr", b'U'), ("op", b'-'), ("val", b'U')],     // 64 futex
    &[("res", b'E'), ("addr", b'U'), ("op", b'-'), ("val", b'U')], // 65 futex
    &[],                                                // 66 stat
    &[("res", b'E'), ("path", b'S')],                   // 67 stat
    &[],                                                // 68 lstat
    &[("res", b'E'), ("path", b'S')],                   // 69 lstat
    &[("fd", b'F')],                                    // 70 fstat
    &[("res", b'E'), ("fd", b'F')],                     // 71 fstat
    &[],                                                // 72 stat64
    &[("res", b'E'), ("path", b'S')],                   // 73 stat64
    &[],                                                // 74 lstat64
    &[("res", b'E'), ("path", b'S')],                   // 75 lstat64
    &[("fd", b'F')],                                    // 76 fstat64
    &[("res", b'E')],                                   // 77 fstat64
    &[("maxevents", b'E')],                             // 78 epoll_wait
    &[("res", b'E'), ("maxevents", b'E')],              // 79 epoll_wait
    &[("fds", b'-'), ("timeout", b'I')],                // 80 poll
    &[("res", b'E'), ("fds", b'-'), ("timeout", b'I')], // 81 poll
    &[],                                                // 82 select
    &[("res", b'E')],                                   // 83 select
    &[],                                                // 84 select
    &[("res", b'E')],                                   // 85 select
    &[("fd", b'F'), ("offset", b'U'), ("whence", b'-')], // 86 lseek
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("offset", b'U'),
        ("whence", b'-'),
    ], // 87 lseek
    &[("fd", b'F'), ("offset", b'U'), ("whence", b'-')], // 88 llseek
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("offset", b'U'),
        ("whence", b'-'),
    ], // 89 llseek
    &[("fd", b'F'), ("request", b'U')],                 // 90 ioctl
    &[("res", b'E')],                                   // 91 ioctl
    &[],                                                // 92 getcwd
    &[("res", b'E'), ("path", b'S')],                   // 93 getcwd
    &[],                                                // 94 chdir
    &[("res", b'E'), ("path", b'S')],                   // 95 chdir
    &[("fd", b'F')],                                    // 96 fchdir
    &[("res", b'E'), ("fd", b'F')],                     // 97 fchdir
    &[("path", b'S'), ("mode", b'U')],                  // 98 mkdir
    &[("res", b'E')],                                   // 99 mkdir
    &[("path", b'S')],                                  // 100 rmdir
    &[("res", b'E')],                                   // 101 rmdir
    &[
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
    ], // 102 openat
    &[("fd", b'F')],                                    // 103 openat
    &[("oldpath", b'S'), ("newpath", b'S')],            // 104 link
    &[("res", b'E')],                                   // 105 link
    &[
        ("olddir", b'F'),
        ("oldpath", b'S'),
        ("newdir", b'F'),
        ("newpath", b'S'),
    ], // 106 linkat
    &[("res", b'E')],                                   // 107 linkat
    &[("path", b'S')],                                  // 108 unlink
    &[("res", b'E')],                                   // 109 unlink
    &[("dirfd", b'F'), ("name", b'S')],                 // 110 unlinkat
    &[("res", b'E')],                                   // 111 unlinkat
    &[("fd", b'F'), ("size", b'U'), ("pos", b'U')],     // 112 pread
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("pos", b'U'),
    ], // 113 pread
    &[("fd", b'F'), ("size", b'U'), ("pos", b'U')],     // 114 pwrite
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("pos", b'U'),
    ], // 115 pwrite
    &[("fd", b'F')],                                    // 116 readv
    &[("res", b'E'), ("size", b'U'), ("data", b'-'), ("fd", b'F')], // 117 readv
    &[("fd", b'F'), ("size", b'U')],                    // 118 writev
    &[("res", b'E'), ("data", b'-'), ("fd", b'F'), ("size", b'U')], // 119 writev
    &[("fd", b'F'), ("pos", b'U')],                     // 120 preadv
    &[
        ("res", b'E'),
        ("size", b'U'),
        ("data", b'-'),
        ("fd", b'F'),
        ("pos", b'U'),
    ], // 121 preadv
    &[("fd", b'F'), ("size", b'U'), ("pos", b'U')],     // 122 pwritev
    &[
        ("res", b'E'),
        ("data", b'-'),
        ("fd", b'F'),
        ("size", b'U'),
        ("pos", b'U'),
    ], // 123 pwritev
    &[("fd", b'F')],                                    // 124 dup
    &[("res", b'F')],                                   // 125 dup
    &[("fd", b'F'), ("mask", b'U'), ("flags", b'U')],   // 126 signalfd
    &[("res", b'F'), ("fd", b'F'), ("mask", b'U'), ("flags", b'U')], // 127 signalfd
    &[("pid", b'I'), ("sig", b'U')],                    // 128 kill
    &[("res", b'E'), ("pid", b'I'), ("sig", b'U')],     // 129 kill
    &[("tid", b'I'), ("sig", b'U')],                    // 130 tkill
    &[("res", b'E'), ("tid", b'I'), ("sig", b'U')],     // 131 tkill
    &[("pid", b'I'), ("tid", b'I'), ("sig", b'U')],     // 132 tgkill
    &[("res", b'E'), ("pid", b'I'), ("tid", b'I'), ("sig", b'U')], // 133 tgkill
    &[("interval", b'-')],                              // 134 nanosleep
    &[("res", b'E'), ("interval", b'-')],               // 135 nanosleep
    &[("clockid", b'U'), ("flags", b'U')],              // 136 timerfd_create
    &[("res", b'F'), ("clockid", b'U'), ("flags", b'U')], // 137 timerfd_create
    &[("flags", b'U')],                                 // 138 inotify_init
    &[("res", b'F'), ("flags", b'U')],                  // 139 inotify_init
    &[("resource", b'-')],                              // 140 getrlimit
    &[
        ("res", b'E'),
        ("cur", b'I'),
        ("max", b'I'),
        ("resource", b'-'),
    ], // 141 getrlimit
    &[("resource", b'-')],                              // 142 setrlimit
    &[
        ("res", b'E'),
        ("cur", b'I'),
        ("max", b'I'),
        ("resource", b'-'),
    ], // 143 setrlimit
    &[("pid", b'I'), ("resource", b'-')],               // 144 prlimit
    &[
        ("res", b'E'),
        ("newcur", b'I'),
        ("newmax", b'I'),
        ("oldcur", b'I'),
        ("oldmax", b'I'),
        ("pid", b'I'),
        ("resource", b'-'),
    ], // 145 prlimit
    &[("next", b'I')],                                  // 146 switch
    &[],                                                // 147 NA
    &[("ratio", b'U')],                                 // 148 drop
    &[("ratio", b'U')],                                 // 149 drop
    &[("fd", b'F'), ("cmd", b'-')],                     // 150 fcntl
    &[("res", b'F'), ("fd", b'F'), ("cmd", b'-'), ("arg", b'U')], // 151 fcntl
    &[
        ("next", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
    ], // 152 switch
    &[],                                                // 153 NA
    &[],                                                // 154 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
    ], // 155 execve
    &[],                                                // 156 clone
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 157 clone
    &[("addr", b'U')],                                  // 158 brk
    &[
        ("res", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("addr", b'U'),
    ], // 159 brk
    &[
        ("addr", b'U'),
        ("length", b'U'),
        ("prot", b'-'),
        ("flags", b'-'),
        ("fd", b'F'),
        ("offset", b'U'),
    ], // 160 mmap
    &[
        ("res", b'E'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("addr", b'U'),
        ("length", b'U'),
        ("prot", b'-'),
        ("flags", b'-'),
        ("fd", b'F'),
        ("offset", b'U'),
    ], // 161 mmap
    &[
        ("addr", b'U'),
        ("length", b'U'),
        ("prot", b'-'),
        ("flags", b'-'),
        ("fd", b'F'),
        ("pgoffset", b'U'),
    ], // 162 mmap2
    &[
        ("res", b'E'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("addr", b'U'),
        ("length", b'U'),
        ("prot", b'-'),
        ("flags", b'-'),
        ("fd", b'F'),
        ("pgoffset", b'U'),
    ], // 163 mmap2
    &[("addr", b'U'), ("length", b'U')],                // 164 munmap
    &[
        ("res", b'E'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("addr", b'U'),
        ("length", b'U'),
    ], // 165 munmap
    &[
        ("fd_in", b'F'),
        ("fd_out", b'F'),
        ("size", b'U'),
        ("flags", b'-'),
    ], // 166 splice
    &[
        ("res", b'E'),
        ("fd_in", b'F'),
        ("fd_out", b'F'),
        ("size", b'U'),
        ("flags", b'-'),
    ], // 167 splice
    &[("request", b'-'), ("pid", b'I')],                // 168 ptrace
    &[
        ("res", b'E'),
        ("addr", b'-'),
        ("data", b'-'),
        ("request", b'-'),
        ("pid", b'I'),
    ], // 169 ptrace
    &[("fd", b'F'), ("request", b'U'), ("argument", b'U')], // 170 ioctl
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("request", b'U'),
        ("argument", b'U'),
    ], // 171 ioctl
    &[],                                                // 172 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("env", b'-'),
    ], // 173 execve
    &[],                                                // 174 rename
    &[("res", b'E'), ("oldpath", b'S'), ("newpath", b'S')], // 175 rename
    &[],                                                // 176 renameat
    &[
        ("res", b'E'),
        ("olddirfd", b'F'),
        ("oldpath", b'S'),
        ("newdirfd", b'F'),
        ("newpath", b'S'),
    ], // 177 renameat
    &[],                                                // 178 symlink
    &[("res", b'E'), ("target", b'S'), ("linkpath", b'S')], // 179 symlink
    &[],                                                // 180 symlinkat
    &[
        ("res", b'E'),
        ("target", b'S'),
        ("linkdirfd", b'F'),
        ("linkpath", b'S'),
    ], // 181 symlinkat
    &[],                                                // 182 fork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 183 fork
    &[],                                                // 184 vfork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 185 vfork
    &[
        ("status", b'E'),
        ("ret", b'E'),
        ("sig", b'U'),
        ("core", b'U'),
        ("reaper_tid", b'I'),
    ], // 186 procexit
    &[],                                                // 187 NA
    &[
        ("out_fd", b'F'),
        ("in_fd", b'F'),
        ("offset", b'U'),
        ("size", b'U'),
    ], // 188 sendfile
    &[
        ("res", b'E'),
        ("offset", b'U'),
        ("out_fd", b'F'),
        ("in_fd", b'F'),
        ("size", b'U'),
    ], // 189 sendfile
    &[
        ("cmd", b'-'),
        ("type", b'-'),
        ("id", b'U'),
        ("quota_fmt", b'-'),
    ], // 190 quotactl
    &[
        ("res", b'E'),
        ("special", b'S'),
        ("quotafilepath", b'S'),
        ("dqb_bhardlimit", b'U'),
        ("dqb_bsoftlimit", b'U'),
        ("dqb_curspace", b'U'),
        ("dqb_ihardlimit", b'U'),
        ("dqb_isoftlimit", b'U'),
        ("dqb_btime", b'-'),
        ("dqb_itime", b'-'),
        ("dqi_bgrace", b'-'),
        ("dqi_igrace", b'-'),
        ("dqi_flags", b'-'),
        ("quota_fmt_out", b'-'),
        ("cmd", b'-'),
        ("type", b'-'),
        ("id", b'U'),
        ("quota_fmt", b'-'),
    ], // 191 quotactl
    &[("ruid", b'U'), ("euid", b'U'), ("suid", b'U')],  // 192 setresuid
    &[
        ("res", b'E'),
        ("ruid", b'U'),
        ("euid", b'U'),
        ("suid", b'U'),
    ], // 193 setresuid
    &[("rgid", b'U'), ("egid", b'U'), ("sgid", b'U')],  // 194 setresgid
    &[
        ("res", b'E'),
        ("rgid", b'U'),
        ("egid", b'U'),
        ("sgid", b'U'),
    ], // 195 setresgid
    &[("event_type", b'U'), ("event_data", b'U')],      // 196 scapevent
    &[],                                                // 197 NA
    &[("uid", b'U')],                                   // 198 setuid
    &[("res", b'E'), ("uid", b'U')],                    // 199 setuid
    &[("gid", b'U')],                                   // 200 setgid
    &[("res", b'E'), ("gid", b'U')],                    // 201 setgid
    &[],                                                // 202 getuid
    &[("uid", b'U')],                                   // 203 getuid
    &[],                                                // 204 geteuid
    &[("euid", b'U')],                                  // 205 geteuid
    &[],                                                // 206 getgid
    &[("gid", b'U')],                                   // 207 getgid
    &[],                                                // 208 getegid
    &[("egid", b'U')],                                  // 209 getegid
    &[],                                                // 210 getresuid
    &[
        ("res", b'E'),
        ("ruid", b'U'),
        ("euid", b'U'),
        ("suid", b'U'),
    ], // 211 getresuid
    &[],                                                // 212 getresgid
    &[
        ("res", b'E'),
        ("rgid", b'U'),
        ("egid", b'U'),
        ("sgid", b'U'),
    ], // 213 getresgid
    &[],                                                // 214 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("env", b'-'),
    ], // 215 execve
    &[],                                                // 216 clone
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 217 clone
    &[],                                                // 218 fork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 219 fork
    &[],                                                // 220 vfork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
    ], // 221 vfork
    &[],                                                // 222 clone
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
        ("vtid", b'I'),
        ("vpid", b'I'),
        ("pidns_init_start_ts", b'U'),
    ], // 223 clone
    &[],                                                // 224 fork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
        ("vtid", b'I'),
        ("vpid", b'I'),
        ("pidns_init_start_ts", b'U'),
    ], // 225 fork
    &[],                                                // 226 vfork
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
        ("vtid", b'I'),
        ("vpid", b'I'),
        ("pidns_init_start_ts", b'U'),
    ], // 227 vfork
    &[
        ("id", b'S'),
        ("type", b'U'),
        ("name", b'S'),
        ("image", b'S'),
    ], // 228 container
    &[],                                                // 229 NA
    &[],                                                // 230 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("env", b'-'),
    ], // 231 execve
    &[("spid", b'I'), ("dpid", b'I'), ("sig", b'U')],   // 232 signaldeliver
    &[],                                                // 233 NA
    &[("cpu_usr", b'U'), ("cpu_sys", b'U')],            // 234 procinfo
    &[],                                                // 235 NA
    &[("fd", b'F')],                                    // 236 getdents
    &[("res", b'E'), ("fd", b'F')],                     // 237 getdents
    &[("fd", b'F')],                                    // 238 getdents64
    &[("res", b'E'), ("fd", b'F')],                     // 239 getdents64
    &[("fd", b'F'), ("nstype", b'-')],                  // 240 setns
    &[("res", b'E'), ("fd", b'F'), ("nstype", b'-')],   // 241 setns
    &[("fd", b'F'), ("operation", b'-')],               // 242 flock
    &[("res", b'E'), ("fd", b'F'), ("operation", b'-')], // 243 flock
    &[("cpu", b'U'), ("action", b'U')],                 // 244 cpu_hotplug
    &[],                                                // 245 NA
    &[],                                                // 246 accept
    &[
        ("fd", b'F'),
        ("tuple", b'-'),
        ("queuepct", b'U'),
        ("queuelen", b'U'),
        ("queuemax", b'U'),
    ], // 247 accept
    &[("flags", b'I')],                                 // 248 accept
    &[
        ("fd", b'F'),
        ("tuple", b'-'),
        ("queuepct", b'U'),
        ("queuelen", b'U'),
        ("queuemax", b'U'),
    ], // 249 accept
    &[("semid", b'I')],                                 // 250 semop
    &[
        ("res", b'E'),
        ("nsops", b'U'),
        ("sem_num_0", b'U'),
        ("sem_op_0", b'I'),
        ("sem_flg_0", b'-'),
        ("sem_num_1", b'U'),
        ("sem_op_1", b'I'),
        ("sem_flg_1", b'-'),
        ("semid", b'I'),
    ], // 251 semop
    &[
        ("semid", b'I'),
        ("semnum", b'I'),
        ("cmd", b'-'),
        ("val", b'I'),
    ], // 252 semctl
    &[
        ("res", b'E'),
        ("semid", b'I'),
        ("semnum", b'I'),
        ("cmd", b'-'),
        ("val", b'I'),
    ], // 253 semctl
    &[("fds", b'-'), ("timeout", b'-'), ("sigmask", b'-')], // 254 ppoll
    &[
        ("res", b'E'),
        ("fds", b'-'),
        ("timeout", b'-'),
        ("sigmask", b'-'),
    ], // 255 ppoll
    &[("flags", b'-')],                                 // 256 mount
    &[
        ("res", b'E'),
        ("dev", b'S'),
        ("dir", b'S'),
        ("type", b'S'),
        ("flags", b'-'),
    ], // 257 mount
    &[("flags", b'-')],                                 // 258 umount
    &[("res", b'E'), ("name", b'S')],                   // 259 umount
    &[("json", b'S')],                                  // 260 k8s
    &[],                                                // 261 NA
    &[("key", b'I'), ("nsems", b'I'), ("semflg", b'-')], // 262 semget
    &[
        ("res", b'E'),
        ("key", b'I'),
        ("nsems", b'I'),
        ("semflg", b'-'),
    ], // 263 semget
    &[("mode", b'-')],                                  // 264 access
    &[("res", b'E'), ("name", b'S'), ("mode", b'-')],   // 265 access
    &[],                                                // 266 chroot
    &[("res", b'E'), ("path", b'S')],                   // 267 chroot
    &[("id", b'I'), ("tags", b'-'), ("args", b'-')],    // 268 tracer
    &[("id", b'I'), ("tags", b'-'), ("args", b'-')],    // 269 NA
    &[("json", b'S')],                                  // 270 mesos
    &[],                                                // 271 NA
    &[("json", b'S')],                                  // 272 container
    &[],                                                // 273 NA
    &[],                                                // 274 setsid
    &[("res", b'I')],                                   // 275 setsid
    &[("mode", b'U')],                                  // 276 mkdir
    &[("res", b'E'), ("path", b'S'), ("mode", b'U')],   // 277 mkdir
    &[],                                                // 278 rmdir
    &[("res", b'E'), ("path", b'S')],                   // 279 rmdir
    &[("id", b'S'), ("desc", b'S')],                    // 280 notification
    &[],                                                // 281 NA
    &[],                                                // 282 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("env", b'-'),
        ("tty", b'I'),
    ], // 283 execve
    &[("flags", b'-')],                                 // 284 unshare
    &[("res", b'E'), ("flags", b'-')],                  // 285 unshare
    &[
        ("source", b'S'),
        ("name", b'S'),
        ("description", b'S'),
        ("scope", b'S'),
    ], // 286 infra
    &[],                                                // 287 NA
    &[("filename", b'S')],                              // 288 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("env", b'-'),
        ("tty", b'I'),
    ], // 289 execve
    &[("addr", b'U'), ("ip", b'U'), ("error", b'-')],   // 290 page_fault
    &[],                                                // 291 NA
    &[("filename", b'S')],                              // 292 execve
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("env", b'-'),
        ("tty", b'U'),
        ("vpgid", b'I'),
        ("loginuid", b'U'),
        ("flags", b'-'),
        ("cap_inheritable", b'U'),
        ("cap_permitted", b'U'),
        ("cap_effective", b'U'),
        ("exe_ino", b'U'),
        ("exe_ino_ctime", b'-'),
        ("exe_ino_mtime", b'-'),
        ("uid", b'U'),
        ("trusted_exepath", b'S'),
        ("pgid", b'I'),
        ("gid", b'U'),
        ("filename", b'S'),
    ], // 293 execve
    &[("pid", b'I'), ("pgid", b'I')],                   // 294 setpgid
    &[("res", b'E'), ("pid", b'I'), ("pgid", b'I')],    // 295 setpgid
    &[("cmd", b'I')],                                   // 296 bpf
    &[("res_or_fd", b'-')],                             // 297 bpf
    &[("op", b'U'), ("flags", b'U')],                   // 298 seccomp
    &[("res", b'E'), ("op", b'U'), ("flags", b'U')],    // 299 seccomp
    &[],                                                // 300 unlink
    &[("res", b'E'), ("path", b'S')],                   // 301 unlink
    &[],                                                // 302 unlinkat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
    ], // 303 unlinkat
    &[],                                                // 304 mkdirat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("path", b'S'),
        ("mode", b'U'),
    ], // 305 mkdirat
    &[
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
    ], // 306 openat
    &[
        ("fd", b'F'),
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
        ("dev", b'U'),
        ("ino", b'U'),
    ], // 307 openat
    &[],                                                // 308 link
    &[("res", b'E'), ("oldpath", b'S'), ("newpath", b'S')], // 309 link
    &[],                                                // 310 linkat
    &[
        ("res", b'E'),
        ("olddir", b'F'),
        ("oldpath", b'S'),
        ("newdir", b'F'),
        ("newpath", b'S'),
        ("flags", b'-'),
    ], // 311 linkat
    &[],                                                // 312 fchmodat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("filename", b'S'),
        ("mode", b'-'),
    ], // 313 fchmodat
    &[],                                                // 314 chmod
    &[("res", b'E'), ("filename", b'S'), ("mode", b'-')], // 315 chmod
    &[],                                                // 316 fchmod
    &[("res", b'E'), ("fd", b'F'), ("mode", b'-')],     // 317 fchmod
    &[],                                                // 318 renameat2
    &[
        ("res", b'E'),
        ("olddirfd", b'F'),
        ("oldpath", b'S'),
        ("newdirfd", b'F'),
        ("newpath", b'S'),
        ("flags", b'-'),
    ], // 319 renameat2
    &[],                                                // 320 userfaultfd
    &[("res", b'E'), ("flags", b'-')],                  // 321 userfaultfd
    &[("plugin_id", b'U'), ("event_data", b'-')],       // 322 pluginevent
    &[],                                                // 323 NA
    &[("json", b'S')],                                  // 324 container
    &[],                                                // 325 NA
    &[
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
        ("resolve", b'-'),
    ], // 326 openat2
    &[
        ("fd", b'F'),
        ("dirfd", b'F'),
        ("name", b'S'),
        ("flags", b'-'),
        ("mode", b'U'),
        ("resolve", b'-'),
        ("dev", b'U'),
        ("ino", b'U'),
    ], // 327 openat2
    &[("addr", b'U'), ("length", b'U'), ("prot", b'-')], // 328 mprotect
    &[
        ("res", b'E'),
        ("addr", b'U'),
        ("length", b'U'),
        ("prot", b'-'),
    ], // 329 mprotect
    &[("dirfd", b'F'), ("pathname", b'S'), ("flags", b'-')], // 330 execveat
    &[
        ("res", b'E'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("env", b'-'),
        ("tty", b'U'),
        ("vpgid", b'I'),
        ("loginuid", b'U'),
        ("flags", b'-'),
        ("cap_inheritable", b'U'),
        ("cap_permitted", b'U'),
        ("cap_effective", b'U'),
        ("exe_ino", b'U'),
        ("exe_ino_ctime", b'-'),
        ("exe_ino_mtime", b'-'),
        ("uid", b'U'),
        ("trusted_exepath", b'S'),
        ("pgid", b'I'),
        ("gid", b'U'),
    ], // 331 execveat
    &[("fdin", b'F'), ("offin", b'U'), ("len", b'U')],  // 332 copy_file_range
    &[
        ("res", b'E'),
        ("fdout", b'F'),
        ("offout", b'U'),
        ("fdin", b'F'),
        ("offin", b'U'),
        ("len", b'U'),
    ], // 333 copy_file_range
    &[],                                                // 334 clone3
    &[
        ("res", b'I'),
        ("exe", b'S'),
        ("args", b'-'),
        ("tid", b'I'),
        ("pid", b'I'),
        ("ptid", b'I'),
        ("cwd", b'S'),
        ("fdlimit", b'I'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("comm", b'S'),
        ("cgroups", b'-'),
        ("flags", b'-'),
        ("uid", b'U'),
        ("gid", b'U'),
        ("vtid", b'I'),
        ("vpid", b'I'),
        ("pidns_init_start_ts", b'U'),
    ], // 335 clone3
    &[],                                                // 336 open_by_handle_at
    &[
        ("fd", b'F'),
        ("mountfd", b'F'),
        ("flags", b'-'),
        ("path", b'S'),
        ("dev", b'U'),
        ("ino", b'U'),
    ], // 337 open_by_handle_at
    &[],                                                // 338 io_uring_setup
    &[
        ("res", b'E'),
        ("entries", b'U'),
        ("sq_entries", b'U'),
        ("cq_entries", b'U'),
        ("flags", b'-'),
        ("sq_thread_cpu", b'U'),
        ("sq_thread_idle", b'U'),
        ("features", b'-'),
    ], // 339 io_uring_setup
    &[],                                                // 340 io_uring_enter
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("to_submit", b'U'),
        ("min_complete", b'U'),
        ("flags", b'-'),
        ("sig", b'-'),
    ], // 341 io_uring_enter
    &[],                                                // 342 io_uring_register
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("opcode", b'-'),
        ("arg", b'U'),
        ("nr_args", b'U'),
    ], // 343 io_uring_register
    &[],                                                // 344 mlock
    &[("res", b'E'), ("addr", b'U'), ("len", b'U')],    // 345 mlock
    &[],                                                // 346 munlock
    &[("res", b'E'), ("addr", b'U'), ("len", b'U')],    // 347 munlock
    &[],                                                // 348 mlockall
    &[("res", b'E'), ("flags", b'-')],                  // 349 mlockall
    &[],                                                // 350 munlockall
    &[("res", b'E')],                                   // 351 munlockall
    &[],                                                // 352 capset
    &[
        ("res", b'E'),
        ("cap_inheritable", b'U'),
        ("cap_permitted", b'U'),
        ("cap_effective", b'U'),
    ], // 353 capset
    &[
        ("uid", b'U'),
        ("gid", b'U'),
        ("name", b'S'),
        ("home", b'S'),
        ("shell", b'S'),
        ("container_id", b'S'),
    ], // 354 useradded
    &[],                                                // 355 NA
    &[
        ("uid", b'U'),
        ("gid", b'U'),
        ("name", b'S'),
        ("home", b'S'),
        ("shell", b'S'),
        ("container_id", b'S'),
    ], // 356 userdeleted
    &[],                                                // 357 NA
    &[("gid", b'U'), ("name", b'S'), ("container_id", b'S')], // 358 groupadded
    &[],                                                // 359 NA
    &[("gid", b'U'), ("name", b'S'), ("container_id", b'S')], // 360 groupdeleted
    &[],                                                // 361 NA
    &[("fd", b'F')],                                    // 362 dup2
    &[("res", b'F'), ("oldfd", b'F'), ("newfd", b'F')], // 363 dup2
    &[("fd", b'F')],                                    // 364 dup3
    &[
        ("res", b'F'),
        ("oldfd", b'F'),
        ("newfd", b'F'),
        ("flags", b'-'),
    ], // 365 dup3
    &[("fd", b'F')],                                    // 366 dup
    &[("res", b'F'), ("oldfd", b'F')],                  // 367 dup
    &[("cmd", b'I')],                                   // 368 bpf
    &[("fd", b'F'), ("cmd", b'-')],                     // 369 bpf
    &[],                                                // 370 mlock2
    &[
        ("res", b'E'),
        ("addr", b'U'),
        ("len", b'U'),
        ("flags", b'-'),
    ], // 371 mlock2
    &[],                                                // 372 fsconfig
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("cmd", b'-'),
        ("key", b'S'),
        ("value_bytebuf", b'-'),
        ("value_charbuf", b'S'),
        ("aux", b'I'),
    ], // 373 fsconfig
    &[("size", b'I')],                                  // 374 epoll_create
    &[("res", b'E'), ("size", b'I')],                   // 375 epoll_create
    &[("flags", b'-')],                                 // 376 epoll_create1
    &[("res", b'E'), ("flags", b'-')],                  // 377 epoll_create1
    &[],                                                // 378 chown
    &[("res", b'E'), ("path", b'S'), ("uid", b'U'), ("gid", b'U')], // 379 chown
    &[],                                                // 380 lchown
    &[("res", b'E'), ("path", b'S'), ("uid", b'U'), ("gid", b'U')], // 381 lchown
    &[],                                                // 382 fchown
    &[("res", b'E'), ("fd", b'F'), ("uid", b'U'), ("gid", b'U')], // 383 fchown
    &[],                                                // 384 fchownat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("pathname", b'S'),
        ("uid", b'U'),
        ("gid", b'U'),
        ("flags", b'-'),
    ], // 385 fchownat
    &[],                                                // 386 umount
    &[("res", b'E'), ("name", b'S')],                   // 387 umount
    &[("flags", b'I')],                                 // 388 accept4
    &[
        ("fd", b'F'),
        ("tuple", b'-'),
        ("queuepct", b'U'),
        ("queuelen", b'U'),
        ("queuemax", b'U'),
        ("flags", b'I'),
    ], // 389 accept4
    &[("flags", b'-')],                                 // 390 umount2
    &[("res", b'E'), ("name", b'S'), ("flags", b'-')],  // 391 umount2
    &[],                                                // 392 pipe2
    &[
        ("res", b'E'),
        ("fd1", b'F'),
        ("fd2", b'F'),
        ("ino", b'U'),
        ("flags", b'-'),
    ], // 393 pipe2
    &[],                                                // 394 inotify_init1
    &[("res", b'F'), ("flags", b'-')],                  // 395 inotify_init1
    &[("initval", b'U')],                               // 396 eventfd2
    &[("res", b'F'), ("flags", b'-'), ("initval", b'U')], // 397 eventfd2
    &[("fd", b'F'), ("mask", b'U')],                    // 398 signalfd4
    &[("res", b'F'), ("flags", b'-'), ("fd", b'F'), ("mask", b'U')], // 399 signalfd4
    &[],                                                // 400 prctl
    &[
        ("res", b'E'),
        ("option", b'-'),
        ("arg2_str", b'S'),
        ("arg2_int", b'I'),
    ], // 401 prctl
    &[("plugin_id", b'U'), ("name", b'S'), ("data", b'-')], // 402 asyncevent
    &[],                                                // 403 NA
    &[],                                                // 404 memfd_create
    &[("fd", b'F'), ("name", b'S'), ("flags", b'-')],   // 405 memfd_create
    &[],                                                // 406 pidfd_getfd
    &[
        ("fd", b'F'),
        ("pid_fd", b'F'),
        ("target_fd", b'F'),
        ("flags", b'U'),
    ], // 407 pidfd_getfd
    &[],                                                // 408 pidfd_open
    &[("fd", b'F'), ("pid", b'I'), ("flags", b'-')],    // 409 pidfd_open
    &[],                                                // 410 init_module
    &[
        ("res", b'E'),
        ("img", b'-'),
        ("length", b'U'),
        ("uargs", b'S'),
    ], // 411 init_module
    &[],                                                // 412 finit_module
    &[
        ("res", b'E'),
        ("fd", b'F'),
        ("uargs", b'S'),
        ("flags", b'-'),
    ], // 413 finit_module
    &[],                                                // 414 mknod
    &[("res", b'E'), ("path", b'S'), ("mode", b'-'), ("dev", b'U')], // 415 mknod
    &[],                                                // 416 mknodat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("path", b'S'),
        ("mode", b'-'),
        ("dev", b'U'),
    ], // 417 mknodat
    &[],                                                // 418 newfstatat
    &[
        ("res", b'E'),
        ("dirfd", b'F'),
        ("path", b'S'),
        ("flags", b'-'),
    ], // 419 newfstatat
    &[],                                                // 420 process_vm_readv
    &[("res", b'I'), ("pid", b'I'), ("data", b'-')],    // 421 process_vm_readv
    &[],                                                // 422 process_vm_writev
    &[("res", b'I'), ("pid", b'I'), ("data", b'-')],    // 423 process_vm_writev
    &[],                                                // 424 delete_module
    &[("res", b'E'), ("name", b'S'), ("flags", b'-')],  // 425 delete_module
    &[],                                                // 426 setreuid
    &[("res", b'E'), ("ruid", b'U'), ("euid", b'U')],   // 427 setreuid
    &[],                                                // 428 setregid
    &[("res", b'E'), ("rgid", b'U'), ("egid", b'U')],   // 429 setregid
    &[
        ("ppid", b'-'),
        ("pgid", b'-'),
        ("vpgid", b'-'),
        ("sid", b'-'),
        ("comm", b'S'),
        ("argv", b'-'),
        ("exepath", b'S'),
        ("flags", b'-'),
        ("env", b'-'),
        ("cwd", b'S'),
        ("fdlimit", b'U'),
        ("euid", b'U'),
        ("egid", b'U'),
        ("cap_permitted", b'U'),
        ("cap_effective", b'U'),
        ("cap_inheritable", b'U'),
        ("exe_ino_num", b'U'),
        ("exe_ino_ctime", b'-'),
        ("exe_ino_mtime", b'-'),
        ("vm_size", b'U'),
        ("vm_rss", b'U'),
        ("vm_swap", b'U'),
        ("pgft_maj", b'U'),
        ("pgft_min", b'U'),
        ("vtgid", b'-'),
        ("vpid", b'-'),
        ("pidns_init_start_ts", b'U'),
        ("cgroups", b'-'),
        ("root", b'S'),
        ("start_time", b'-'),
        ("tty", b'U'),
        ("loginuid", b'U'),
    ], // 430 task
    &[],                                                // 431 NA
    &[("fd", b'-'), ("path", b'S'), ("ino_num", b'U')], // 432 task_file_pipe
    &[],                                                // 433 NA
    &[("fd", b'-'), ("path", b'S'), ("ino_num", b'U')], // 434 task_file_memfd
    &[],                                                // 435 NA
    &[
        ("fd", b'-'),
        ("path", b'S'),
        ("flags", b'-'),
        ("mnt_id", b'U'),
        ("ino_num", b'U'),
    ], // 436 task_file_regular
    &[],                                                // 437 NA
    &[("fd", b'-'), ("path", b'S'), ("ino_num", b'U')], // 438 task_file_directory
    &[],                                                // 439 NA
    &[
        ("fd", b'-'),
        ("sk_type", b'U'),
        ("sk_proto", b'U'),
        ("local_ip", b'-'),
        ("local_port", b'-'),
        ("remote_ip", b'-'),
        ("remote_port", b'-'),
        ("ino_num", b'U'),
    ], // 440 task_file_socket_inet
    &[],                                                // 441 NA
    &[
        ("fd", b'-'),
        ("sk_type", b'U'),
        ("sk_proto", b'U'),
        ("local_ip", b'-'),
        ("local_port", b'-'),
        ("remote_ip", b'-'),
        ("remote_port", b'-'),
        ("ino_num", b'U'),
    ], // 442 task_file_socket_inet6
    &[],                                                // 443 NA
    &[
        ("fd", b'-'),
        ("sk_type", b'U'),
        ("sk_proto", b'U'),
        ("sk_pointer", b'U'),
        ("sun_path", b'S'),
        ("ino_num", b'U'),
    ], // 444 task_file_socket_unix
    &[],                                                // 445 NA
    &[
        ("fd", b'-'),
        ("sk_type", b'U'),
        ("sk_proto", b'U'),
        ("ino_num", b'U'),
    ], // 446 task_file_socket_netlink
    &[],                                                // 447 NA
    &[
        ("fd", b'-'),
        ("fd_type", b'-'),
        ("path", b'S'),
        ("ino_num", b'U'),
    ], // 448 task_file_anon_inode
    &[],                                                // 449 NA
    &[],                                                // 450 NA
    &[
        ("res", b'E'),
        ("first", b'U'),
        ("last", b'U'),
        ("flags", b'-'),
    ], // 451 close_range
    &[],                                                // 452 NA
    &[
        ("res", b'E'),
        ("operation", b'-'),
        ("arg2", b'-'),
        ("arg3", b'-'),
        ("arg4", b'-'),
        ("arg5", b'-'),
    ], // 453 keyctl
];

/// Event names by code, from the same table ("NA" for unused codes).
pub(crate) static EVENT_TABLE_NAMES: [&str; 454] = [
    "syscall",
    "syscall",
    "open",
    "open",
    "close",
    "close",
    "read",
    "read",
    "write",
    "write",
    "brk",
    "brk",
    "execve",
    "execve",
    "clone",
    "clone",
    "procexit",
    "NA",
    "socket",
    "socket",
    "bind",
    "bind",
    "connect",
    "connect",
    "listen",
    "listen",
    "accept",
    "accept",
    "send",
    "send",
    "sendto",
    "sendto",
    "recv",
    "recv",
    "recvfrom",
    "recvfrom",
    "shutdown",
    "shutdown",
    "getsockname",
    "getsockname",
    "getpeername",
    "getpeername",
    "socketpair",
    "socketpair",
    "setsockopt",
    "setsockopt",
    "getsockopt",
    "getsockopt",
    "sendmsg",
    "sendmsg",
    "sendmmsg",
    "sendmmsg",
    "recvmsg",
    "recvmsg",
    "recvmmsg",
    "recvmmsg",
    "accept",
    "accept",
    "creat",
    "creat",
    "pipe",
    "pipe",
    "eventfd",
    "eventfd",
    "futex",
    "futex",
    "stat",
    "stat",
    "lstat",
    "lstat",
    "fstat",
    "fstat",
    "stat64",
    "stat64",
    "lstat64",
    "lstat64",
    "fstat64",
    "fstat64",
    "epoll_wait",
    "epoll_wait",
    "poll",
    "poll",
    "select",
    "select",
    "select",
    "select",
    "lseek",
    "lseek",
    "llseek",
    "llseek",
    "ioctl",
    "ioctl",
    "getcwd",
    "getcwd",
    "chdir",
    "chdir",
    "fchdir",
    "fchdir",
    "mkdir",
    "mkdir",
    "rmdir",
    "rmdir",
    "openat",
    "openat",
    "link",
    "link",
    "linkat",
    "linkat",
    "unlink",
    "unlink",
    "unlinkat",
    "unlinkat",
    "pread",
    "pread",
    "pwrite",
    "pwrite",
    "readv",
    "readv",
    "writev",
    "writev",
    "preadv",
    "preadv",
    "pwritev",
    "pwritev",
    "dup",
    "dup",
    "signalfd",
    "signalfd",
    "kill",
    "kill",
    "tkill",
    "tkill",
    "tgkill",
    "tgkill",
    "nanosleep",
    "nanosleep",
    "timerfd_create",
    "timerfd_create",
    "inotify_init",
    "inotify_init",
    "getrlimit",
    "getrlimit",
    "setrlimit",
    "setrlimit",
    "prlimit",
    "prlimit",
    "switch",
    "NA",
    "drop",
    "drop",
    "fcntl",
    "fcntl",
    "switch",
    "NA",
    "execve",
    "execve",
    "clone",
    "clone",
    "brk",
    "brk",
    "mmap",
    "mmap",
    "mmap2",
    "mmap2",
    "munmap",
    "munmap",
    "splice",
    "splice",
    "ptrace",
    "ptrace",
    "ioctl",
    "ioctl",
    "execve",
    "execve",
    "rename",
    "rename",
    "renameat",
    "renameat",
    "symlink",
    "symlink",
    "symlinkat",
    "symlinkat",
    "fork",
    "fork",
    "vfork",
    "vfork",
    "procexit",
    "NA",
    "sendfile",
    "sendfile",
    "quotactl",
    "quotactl",
    "setresuid",
    "setresuid",
    "setresgid",
    "setresgid",
    "scapevent",
    "NA",
    "setuid",
    "setuid",
    "setgid",
    "setgid",
    "getuid",
    "getuid",
    "geteuid",
    "geteuid",
    "getgid",
    "getgid",
    "getegid",
    "getegid",
    "getresuid",
    "getresuid",
    "getresgid",
    "getresgid",
    "execve",
    "execve",
    "clone",
    "clone",
    "fork",
    "fork",
    "vfork",
    "vfork",
    "clone",
    "clone",
    "fork",
    "fork",
    "vfork",
    "vfork",
    "container",
    "NA",
    "execve",
    "execve",
    "signaldeliver",
    "NA",
    "procinfo",
    "NA",
    "getdents",
    "getdents",
    "getdents64",
    "getdents64",
    "setns",
    "setns",
    "flock",
    "flock",
    "cpu_hotplug",
    "NA",
    "accept",
    "accept",
    "accept",
    "accept",
    "semop",
    "semop",
    "semctl",
    "semctl",
    "ppoll",
    "ppoll",
    "mount",
    "mount",
    "umount",
    "umount",
    "k8s",
    "NA",
    "semget",
    "semget",
    "access",
    "access",
    "chroot",
    "chroot",
    "tracer",
    "NA",
    "mesos",
    "NA",
    "container",
    "NA",
    "setsid",
    "setsid",
    "mkdir",
    "mkdir",
    "rmdir",
    "rmdir",
    "notification",
    "NA",
    "execve",
    "execve",
    "unshare",
    "unshare",
    "infra",
    "NA",
    "execve",
    "execve",
    "page_fault",
    "NA",
    "execve",
    "execve",
    "setpgid",
    "setpgid",
    "bpf",
    "bpf",
    "seccomp",
    "seccomp",
    "unlink",
    "unlink",
    "unlinkat",
    "unlinkat",
    "mkdirat",
    "mkdirat",
    "openat",
    "openat",
    "link",
    "link",
    "linkat",
    "linkat",
    "fchmodat",
    "fchmodat",
    "chmod",
    "chmod",
    "fchmod",
    "fchmod",
    "renameat2",
    "renameat2",
    "userfaultfd",
    "userfaultfd",
    "pluginevent",
    "NA",
    "container",
    "NA",
    "openat2",
    "openat2",
    "mprotect",
    "mprotect",
    "execveat",
    "execveat",
    "copy_file_range",
    "copy_file_range",
    "clone3",
    "clone3",
    "open_by_handle_at",
    "open_by_handle_at",
    "io_uring_setup",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_register",
    "mlock",
    "mlock",
    "munlock",
    "munlock",
    "mlockall",
    "mlockall",
    "munlockall",
    "munlockall",
    "capset",
    "capset",
    "useradded",
    "NA",
    "userdeleted",
    "NA",
    "groupadded",
    "NA",
    "groupdeleted",
    "NA",
    "dup2",
    "dup2",
    "dup3",
    "dup3",
    "dup",
    "dup",
    "bpf",
    "bpf",
    "mlock2",
    "mlock2",
    "fsconfig",
    "fsconfig",
    "epoll_create",
    "epoll_create",
    "epoll_create1",
    "epoll_create1",
    "chown",
    "chown",
    "lchown",
    "lchown",
    "fchown",
    "fchown",
    "fchownat",
    "fchownat",
    "umount",
    "umount",
    "accept4",
    "accept4",
    "umount2",
    "umount2",
    "pipe2",
    "pipe2",
    "inotify_init1",
    "inotify_init1",
    "eventfd2",
    "eventfd2",
    "signalfd4",
    "signalfd4",
    "prctl",
    "prctl",
    "asyncevent",
    "NA",
    "memfd_create",
    "memfd_create",
    "pidfd_getfd",
    "pidfd_getfd",
    "pidfd_open",
    "pidfd_open",
    "init_module",
    "init_module",
    "finit_module",
    "finit_module",
    "mknod",
    "mknod",
    "mknodat",
    "mknodat",
    "newfstatat",
    "newfstatat",
    "process_vm_readv",
    "process_vm_readv",
    "process_vm_writev",
    "process_vm_writev",
    "delete_module",
    "delete_module",
    "setreuid",
    "setreuid",
    "setregid",
    "setregid",
    "task",
    "NA",
    "task_file_pipe",
    "NA",
    "task_file_memfd",
    "NA",
    "task_file_regular",
    "NA",
    "task_file_directory",
    "NA",
    "task_file_socket_inet",
    "NA",
    "task_file_socket_inet6",
    "NA",
    "task_file_socket_unix",
    "NA",
    "task_file_socket_netlink",
    "NA",
    "task_file_anon_inode",
    "NA",
    "NA",
    "close_range",
    "NA",
    "keyctl",
];
