// Aedes (the successor of mosca) as a standalone server for the benchmark: the
// broker's own in-memory persistence, `net.createServer(aedes.handle)` with
// TCP_NODELAY, on the port given in argv[2], 127.0.0.1 only. Prints "listening".
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = net.createServer({ noDelay: true }, aedes.handle);
server.listen(port, '127.0.0.1', () => console.log('listening'));
const stop = () => aedes.close(() => server.close(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
