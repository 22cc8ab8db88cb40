import { test } from 'node:test';
import { runServer } from '../helpers/cli.js';
import { threeInTwoRooms } from './rooms-scenario.js';

test('chat-server: three users in lobby and dev at once, lines tagged by room, part and rejoin, as nc sees it', async (t) => {
  const server = await runServer(t);
  await threeInTwoRooms(t, [server.port]);
});
