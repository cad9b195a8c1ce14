// Loads a Lambda bundle the way the Node.js runtime does (plain `node`, no TypeScript loader):
// `require` the handler file once per container, then call its exported handler for each event the
// parent sends over IPC. Usage: node lambda-host.js /path/to/index.js handler functionName
'use strict';
const [, , file, exportName, functionName] = process.argv;
const mod = require(file);
let invocation = 0;
process.on('message', async (message) => {
  invocation += 1;
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `e2e-${invocation}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'e2e',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await mod[exportName](message.event, context);
    process.send({ id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ id: message.id, error: { name: error && error.name, message: String(error && error.message) } });
  }
});
process.send({ ready: true });
