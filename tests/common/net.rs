//! Network stand-ins for the team-store tests (issue 12): a TCP proxy in front of the test
//! server that can be taken down (so the store is really unreachable: connections refused, the
//! open ones cut) and brought back, and a fake database server that answers every login
//! with one error (e.g. SQLSTATE 28P01, a wrong password, which the trust-auth test cluster
//! cannot produce).
//!
//! Include with `#[path = "common/net.rs"] mod net;`.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A TCP proxy on 127.0.0.1 forwarding to a server; [`Proxy::down`] refuses new connections
/// and cuts the open ones, [`Proxy::up`] listens again on the same port.
pub struct Proxy {
    /// The port it listens on.
    pub port: u16,
    target: SocketAddr,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to the server of libpq URL `url` (host and port taken from it).
    pub fn to_url(url: &str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
        let hostport = rest.split(['/', '?']).next().unwrap_or("127.0.0.1:5432");
        let hostport = if hostport.contains(':') { hostport.to_owned() } else { format!("{hostport}:5432") };
        let target = hostport.to_socket_addrs().expect("the server's address").next().expect("an address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a proxy port");
        let port = listener.local_addr().expect("the proxy's address").port();
        let mut p = Self {
            port,
            target,
            stop: Arc::new(AtomicBool::new(false)),
            open: Arc::new(Mutex::new(Vec::new())),
            thread: None,
        };
        p.serve(listener);
        p
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgresql", url));
        let (user, rest) = rest.split_once('@').map_or((None, rest), |(u, r)| (Some(u), r));
        let tail = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        format!("{scheme}://{user}127.0.0.1:{}{tail}", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("a non-blocking listener");
        self.stop.store(false, Ordering::SeqCst);
        let (stop, open, target) = (Arc::clone(&self.stop), Arc::clone(&self.open), self.target);
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(target) else { continue };
                let pairs = [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())];
                if let Ok(mut list) = open.lock() {
                    list.push(client);
                    list.push(server);
                }
                for pair in pairs {
                    if let (Ok(mut from), Ok(mut to)) = pair {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(Shutdown::Both);
                        });
                    }
                }
            }
            // The listener drops here: the port refuses connections.
        }));
    }

    /// Takes the proxy down: new connections are refused, open ones are cut.
    pub fn down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("the proxy thread");
        }
        if let Ok(mut list) = self.open.lock() {
            for s in list.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    /// Brings the proxy back on the same port.
    pub fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind the proxy port again");
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.down();
    }
}

/// What the fake server does with a login.
#[derive(Debug, Clone)]
pub enum Answer {
    /// An `ErrorResponse` with this SQLSTATE and message.
    Error(&'static str, String),
}

/// A fake database server (the wire protocol's first steps) on 127.0.0.1 answering every login with `answer`; returns its
/// port. It declines TLS ('N'), as a server without certificates does.
pub fn fake_server(answer: Answer) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                loop {
                    let mut head = [0_u8; 8];
                    if s.read_exact(&mut head).is_err() {
                        return;
                    }
                    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                    let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                    let mut body = vec![0_u8; len.saturating_sub(8)];
                    if s.read_exact(&mut body).is_err() {
                        return;
                    }
                    // SSLRequest and GSSENCRequest: no.
                    if code == 80_877_103 || code == 80_877_104 {
                        if s.write_all(b"N").is_err() {
                            return;
                        }
                        continue;
                    }
                    break;
                }
                let Answer::Error(code, message) = answer;
                let mut fields = Vec::new();
                for (tag, text) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', code), (b'M', message.as_str())] {
                    fields.push(tag);
                    fields.extend_from_slice(text.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut msg = vec![b'E'];
                msg.extend_from_slice(&u32::try_from(fields.len() + 4).unwrap_or(u32::MAX).to_be_bytes());
                msg.extend_from_slice(&fields);
                let _ = s.write_all(&msg);
                let _ = s.flush();
                std::thread::sleep(Duration::from_millis(200));
            });
        }
    });
    port
}

// Each suite uses part of these helpers: naming them here keeps `dead_code` quiet.
const _: () = {
    let _ = (Proxy::to_url, Proxy::url, Proxy::down, Proxy::up, fake_server, Answer::Error);
};
