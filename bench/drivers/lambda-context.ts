/** The Lambda context the proxy drivers pass to the handler (what the runtime gives a warm function). */
export const LAMBDA_CONTEXT = {
  awsRequestId: 'bench-request',
  functionName: 'bench-proxy',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench-proxy',
  memoryLimitInMB: '1024',
  logGroupName: '/aws/lambda/bench-proxy',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: (): number => 29_000,
};
